import PlatformStore

/// The time the operator side reads (milliseconds since the epoch): token expiry, the
/// login throttle's window, whether an endpoint is online. A parameter, so tests move it
/// forward instead of sleeping through a minute.
public struct OperatorClock: Sendable {
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    public static let system = OperatorClock { Clock.milliseconds() }
}
