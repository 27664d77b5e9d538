import EndpointStorage
import Foundation
import PlatformWire

/// What a restarted endpoint does with a run its previous life left unfinished, decided
/// from its record alone (docs/delivery.md, "Runs that outlive a restart"): relaunch it
/// for the time it has left, or end it with the `finished` it carries.
enum RelaunchDecision: Equatable {
    /// Relaunch it for `lastingSeconds`; the gap in its stream began at `stoppedAt`.
    case relaunch(lastingSeconds: Int, stoppedAt: Date)
    /// It ends: `exit` is its `finished` (nil: the exit its record holds).
    case end(FinishedReport?)

    /// What the endpoint may relaunch.
    struct Rules: Equatable {
        /// `resume-runs`.
        var resumeRuns: Bool
        /// `max-run-resumes`.
        var maxRunResumes: Int
        /// The endpoint can check a start again (`RunSupervisor.approval`).
        var canApprove: Bool
    }

    /// `fileUsable`: the run file is trace-dir's and holds what was acknowledged;
    /// `fileModified`: its last write, where an abrupt stop's gap begins.
    init(record: RunRecord, fileUsable: Bool, fileModified: Date?, now: Date, rules: Rules) {
        guard record.exitCode == nil else {
            self = .end(nil)
            return
        }
        let ending = Self.ending(of: record)
        guard record.relaunch != nil, rules.canApprove else {
            self = .end(ending)
            return
        }
        guard rules.resumeRuns else {
            self = .end(ending.noting("not relaunched after the restart: resume-runs is false"))
            return
        }
        // The file's problem is the lifecycle's to tell (`RunLifecycle(resumedWith:)`).
        guard fileUsable else {
            self = .end(ending)
            return
        }
        let secondsLeft = Self.secondsLeft(until: record.deadline, now: now)
        guard secondsLeft >= 1 else {
            self = .end(ending.noting("not relaunched after the restart: its lasting ended while the endpoint was stopped"))
            return
        }
        guard record.resumedCount < rules.maxRunResumes else {
            self = .end(
                Self.notRelaunched(
                    record,
                    reason: "it was relaunched \(record.resumedCount) times already, the most max-run-resumes (\(rules.maxRunResumes)) allows"
                )
            )
            return
        }
        self = .relaunch(lastingSeconds: secondsLeft, stoppedAt: record.suspendedAt ?? fileModified ?? now)
    }

    /// Whole seconds left until `deadline`, rounded up (a relaunch never ends early); 0
    /// when less than a second is left (not worth a tracer's start).
    static func secondsLeft(until deadline: Date, now: Date) -> Int {
        let left = deadline.timeIntervalSince(now)
        return left < 1 ? 0 : Int(left.rounded(.up))
    }

    /// A run's end without a relaunch: a suspended tracer's code and every tracer's
    /// stderr; after an abrupt stop, code -1 and why it is unknown.
    static func ending(of record: RunRecord) -> FinishedReport {
        let earlier = record.earlierStderr ?? ""
        guard let code = record.suspendedCode else {
            return FinishedReport(code: TraceRun.unknownExitCode, stderr: earlier + TraceRun.unknownExitExplanation)
        }
        return FinishedReport(code: code, stderr: earlier)
    }

    /// A run that was to be relaunched and cannot be: code -1 and `reason`.
    static func notRelaunched(_ record: RunRecord, reason: String) -> FinishedReport {
        FinishedReport(code: TraceRun.unknownExitCode, stderr: ending(of: record).stderr).noting("not relaunched after the restart: \(reason)")
    }
}

extension FinishedReport {
    /// The report with the endpoint's `note` after its stderr.
    func noting(_ note: String) -> FinishedReport {
        FinishedReport(code: code, stderr: stderr + RunLifecycle.note(note))
    }
}
