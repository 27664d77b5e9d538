import NIOCore

/// settings.yml's `idle-timeout-seconds` and `request-read-timeout-seconds`, as the
/// `ConnectionGuardHandler` of every connection applies them.
struct ConnectionDeadlines: Sendable {
    /// No bytes read and no answer being written for this long: the connection is closed.
    let idle: TimeAmount
    /// A request not arrived whole this long after its first byte: the connection is closed.
    let requestRead: TimeAmount
}
