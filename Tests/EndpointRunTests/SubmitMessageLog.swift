import Foundation
import PlatformWire
import SubmitReceiver
import Synchronization

/// Every `/submit` message the platform was sent for each run, in arrival order: the chunk
/// numbers (a chunk sent again shows twice) and each `finished` with when it came. The
/// receiver's own record keeps only the last `finished` and not when it came, which a
/// test of "finished once, at the real end" must know. Given to `LiveReceiver(fault:)`
/// as a fault that never answers in the receiver's place.
final class SubmitMessageLog: Sendable {
    struct Finished: Sendable {
        let at: Date
        let code: Int32
        let stderr: String
    }

    private struct Messages {
        var chunks: [Int] = []
        var finished: [Finished] = []
    }

    private let traces = Mutex<[String: Messages]>([:])

    /// The receiver fault that notes each message and lets the receiver answer it.
    var fault: ReceiverFault {
        { [self] message in
            note(message)
            return nil
        }
    }

    func note(_ message: SubmitMessage) {
        let now = Date()
        traces.withLock { traces in
            switch message {
            case .start:
                break
            case let .chunk(trace, no, _):
                traces[trace, default: Messages()].chunks.append(no)
            case let .finished(trace, stderr, code):
                traces[trace, default: Messages()].finished.append(Finished(at: now, code: code, stderr: stderr))
            }
        }
    }

    /// The chunk numbers sent for `trace`, in arrival order.
    func chunkNumbers(_ trace: String) -> [Int] { traces.withLock { $0[trace]?.chunks ?? [] } }

    /// Every `finished` sent for `trace`, in arrival order.
    func finished(_ trace: String) -> [Finished] { traces.withLock { $0[trace]?.finished ?? [] } }
}
