import Foundation

/// A parsed `/submit` body (see `SubmitMessageParser`); a chunk's bytes are decoded.
public enum SubmitMessage: Sendable {
    case start(trace: String)
    case chunk(trace: String, no: Int, bytes: Data)
    case finished(trace: String, stderr: String, code: Int32)
}

extension SubmitMessage {
    /// The stream the message belongs to: the endpoint's run `filePath`.
    public var trace: String {
        switch self {
        case .start(let trace), .chunk(let trace, _, _), .finished(let trace, _, _): return trace
        }
    }
}
