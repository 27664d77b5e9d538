import Foundation

/// A parsed `/submit` body (see `SubmitMessageParser`); a chunk's bytes are decoded.
public enum SubmitMessage: Sendable {
    case start(trace: String)
    case chunk(trace: String, no: Int, bytes: Data)
    case finished(trace: String, stderr: String, code: Int32)
}
