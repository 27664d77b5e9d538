import Logging
import NIOCore
import PrometheusMetrics
import Synchronization

/// The open HTTP connections, capped at `max-connections`.
///
/// Past the cap a new connection is not turned away: the least recently active
/// connection that is not being answered is closed to make room for it. An attacker
/// holding idle or trickling connections therefore loses the oldest of them to every
/// new client, and the platform, a monitor's `/heartbeat` and an operator's curl keep
/// getting in (refusing new connections instead, as Hummingbird's
/// `MaximumAvailableConnections` does by not accepting, would lock them all out until
/// the attacker let go). Only when every open connection is being answered is the new
/// one closed at once.
///
/// Shared by every event loop, so the table sits behind a mutex; a connection's
/// activity is an atomic of its own, stamped on every read without the lock. Choosing
/// whom to close scans the whole table, so it only happens when the cap is reached.
final class ConnectionRegistry: Sendable {
    let capacity: Int
    /// Evictions counted here; the guard counts the connections it closes at a deadline.
    let metrics: ConnectionMetrics
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var open: [ObjectIdentifier: TrackedConnection] = [:]
        /// Open connections not already being closed to make room.
        var counted = 0
        var closedForRoom = 0
        var refused = 0
        var lastWarning: NIODeadline?
    }

    /// At most one warning per this interval while the cap is being hit: an attacker
    /// must not be able to flood the log.
    static let warningInterval = TimeAmount.seconds(60)

    init(capacity: Int, metrics: ConnectionMetrics, logger: Logger) {
        self.capacity = capacity
        self.metrics = metrics
        self.logger = logger
        self.state = Mutex(State())
    }

    enum Admission {
        case admitted
        /// Admitted; this other connection was chosen to make room.
        case admittedClosing(TrackedConnection)
        /// Every open connection is being answered: close the new one.
        case refused
    }

    /// Registers a new connection, choosing a connection to close when the cap is reached.
    func admit(_ connection: TrackedConnection) -> Admission {
        let (admission, warning) = state.withLock { state -> (Admission, String?) in
            var admission = Admission.admitted
            if state.counted >= capacity {
                guard let victim = Self.leastRecentlyActive(in: state.open) else {
                    state.refused += 1
                    return (.refused, Self.takeWarning(&state))
                }
                victim.isClosingForRoom = true
                state.counted -= 1
                state.closedForRoom += 1
                admission = .admittedClosing(victim)
            }
            state.open[ObjectIdentifier(connection)] = connection
            state.counted += 1
            if case .admitted = admission { return (admission, nil) }
            return (admission, Self.takeWarning(&state))
        }
        if case .admittedClosing = admission { metrics.connectionEvicted() }
        if let warning { logger.warning("\(warning)", metadata: ["http.max-connections": "\(capacity)"]) }
        return admission
    }

    /// Forgets a connection once it has closed.
    func remove(_ connection: TrackedConnection) {
        state.withLock { state in
            guard state.open.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
            if !connection.isClosingForRoom { state.counted -= 1 }
        }
    }

    static func leastRecentlyActive(in open: [ObjectIdentifier: TrackedConnection]) -> TrackedConnection? {
        var chosen: TrackedConnection?
        var chosenActivity = UInt64.max
        for connection in open.values where !connection.isClosingForRoom && !connection.isAnswering {
            let activity = connection.lastActivity
            if activity < chosenActivity {
                chosen = connection
                chosenActivity = activity
            }
        }
        return chosen
    }

    /// The warning to log now with what happened since the last one, or nil while the
    /// last one is recent.
    private static func takeWarning(_ state: inout State) -> String? {
        let now = NIODeadline.now()
        if let last = state.lastWarning, now - last < warningInterval { return nil }
        state.lastWarning = now
        defer { (state.closedForRoom, state.refused) = (0, 0) }
        return "Connection limit reached: closed \(state.closedForRoom) least recently active connection(s) to make room"
            + " and \(state.refused) new one(s) while every open connection was being answered"
    }
}
