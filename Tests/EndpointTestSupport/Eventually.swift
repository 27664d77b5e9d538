import Foundation

/// Waits for something a test expects to happen soon (a run listed, a file present, a
/// state reached) by asking again every `poll` until it holds, instead of sleeping a
/// fixed time and hoping: fast when it happens at once, and when it never does, a failure
/// after `timeout` that says what was waited for.
///
///     try await eventually("the run is delivered", timeout: .seconds(10)) {
///         try await endpoint.runStatus(path)?.state == .delivered
///     }
public func eventually(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(10),
    poll: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    _ = try await eventuallyValue(what(), timeout: timeout, poll: poll) { try await condition() ? true : nil }
}

/// The first non-nil value `produce` gives, asked every `poll`; throws `NotReached`
/// naming `what` when there is none within `timeout`.
public func eventuallyValue<Value>(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(10),
    poll: Duration = .milliseconds(50),
    _ produce: () async throws -> Value?
) async throws -> Value {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = try await produce() { return value }
        guard clock.now < deadline else { throw NotReached(what: what(), timeout: timeout) }
        try await Task.sleep(for: poll)
    }
}

/// What `eventually` throws when its condition did not hold in time.
public struct NotReached: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public var description: String { "waited \(timeout) for: \(what)" }
}

/// `eventuallyValue` for code that cannot await: a thread of its own, or a synchronous
/// helper such as `SpawnedProcess.waitForExit`. Asks `produce` every `poll`, the calling
/// thread asleep in between; nil when there is none within `timeout` (asked once at
/// least, a zero timeout included).
public func blockingEventuallyValue<Value>(
    timeout: Duration,
    poll: Duration = .milliseconds(20),
    _ produce: () throws -> Value?
) rethrows -> Value? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = try produce() { return value }
        guard clock.now < deadline else { return nil }
        let (seconds, attoseconds) = poll.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
