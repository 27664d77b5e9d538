/// Something committed that waiters on other instances want to know at once (a held poll,
/// a followed stream, a waiting question), carried by PostgreSQL `NOTIFY` on one channel.
public struct PlatformAnnouncement: Sendable, Equatable {
    public enum Kind: Character, Sendable, CaseIterable {
        /// A task was queued for the endpoint `key`.
        case taskQueued = "t"
        /// The run `key`'s contiguous prefix grew, or it finished.
        case streamGrew = "s"
        /// The task `key`'s result was committed.
        case taskAnswered = "a"
    }

    /// The one `LISTEN` channel of every instance.
    public static let channel = "lambda_platform"

    public let kind: Kind
    public let key: String

    public init(_ kind: Kind, _ key: String) {
        self.kind = kind
        self.key = key
    }

    /// `"<kind>:<key>"`; keys are ids of at most a few hundred bytes, far below NOTIFY's
    /// 8000-byte payload limit.
    public var payload: String { "\(kind.rawValue):\(key)" }

    public init?(payload: String) {
        guard let first = payload.first, let kind = Kind(rawValue: first), payload.dropFirst().first == ":" else { return nil }
        self.init(kind, String(payload.dropFirst(2)))
    }
}

/// A job at most one instance runs at a time (a PostgreSQL advisory lock on `lockKey`).
public enum ExclusiveJob: Int64, Sendable {
    /// Arbitrary but fixed numbers: every instance must take the same lock.
    case migration = 0x6c61_6d62_6461_0001
    case retention = 0x6c61_6d62_6461_0002
}
