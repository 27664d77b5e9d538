import Foundation
import PlatformWire

/// What a run relaunched after a restart carries over from its earlier tracers: its
/// stream goes on in the same file from `fileSize`, its delivery from `cursor`, and
/// `finished` (once, at the real end) carries `earlierStderr` before the last tracer's.
struct RunContinuation: Sendable {
    /// The delivery position the previous life of the endpoint reached.
    var cursor: DeliveryCursor
    /// The run file's size when the relaunch opened it: the output so far.
    var fileSize: Int64
    /// When the previous tracer's output ended (a graceful stop's exit, else the file's
    /// last write): the start of the gap the `resumed` line states.
    var stoppedAt: Date
    /// Every earlier tracer's stderr, each followed by the endpoint's note of its end.
    var earlierStderr: String
    /// The gaps of earlier relaunches.
    var gaps: [ResumeGap]
    /// Called with every gap so far once this relaunch's probes are live, on the tracer's
    /// reader thread, before the `resumed` line is written (it persists them there).
    var gapsChanged: @Sendable ([ResumeGap]) -> Void

    /// Wall-clock nanoseconds since 1970, as the stream's tuples count time.
    static func nanoseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1e9).rounded()) }
}
