/// Why a binary could not be inspected at all (before any rule about it was checked):
/// the inspection threads' answer (`BlockingWorkPool.Failure`) in the API's words. Both
/// template routes that read binaries (store and start) refuse with it.
public enum BinaryInspectionFailure: Error, Equatable, Sendable {
    /// The read started and did not finish: the binary's fault (a hung file system).
    case timedOut(seconds: Int64)
    /// Every inspection thread is busy (stuck on such binaries): the endpoint's state,
    /// answered like a full authentication line.
    case busy

    public var message: String {
        switch self {
        case .timedOut(let seconds): "process: the endpoint could not read it within \(seconds) s (a hung file system?)"
        case .busy: "every thread that reads binaries is busy (stuck on unresponsive files?); retry later"
        }
    }

    /// A stuck read is the binary's fault (400 naming `process`); a busy pool is the
    /// endpoint's state, worth a retry after 5 s.
    public var answer: RefusalAnswer {
        switch self {
        case .timedOut: .badRequest
        case .busy: .unavailable(retryAfterSeconds: 5)
        }
    }
}
