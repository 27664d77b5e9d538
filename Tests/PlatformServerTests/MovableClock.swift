import PlatformServer
import PlatformStore
import Synchronization

/// The operator side's time for a test: the wall clock plus an offset the test moves
/// forward (a minute of login throttle or hours of token life without waiting for them).
final class MovableClock: Sendable {
    private let offset = Mutex<Int64>(0)

    var clock: OperatorClock { OperatorClock { Clock.milliseconds() + self.offset.withLock { $0 } } }

    func advance(seconds: Int64) {
        offset.withLock { $0 += seconds * 1000 }
    }
}
