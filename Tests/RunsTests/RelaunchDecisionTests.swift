import EndpointStorage
import Foundation
import PlatformWire
import Testing
import TraceModel

@testable import Runs

/// What a restarted endpoint does with each run its previous life left unfinished,
/// decided from the record alone (docs/delivery.md, "Runs that outlive a restart").
@Suite("Relaunch decisions (pure)")
struct RelaunchDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let rules = RelaunchDecision.Rules(resumeRuns: true, maxRunResumes: 10, canApprove: true)
    static let start = RelaunchableStart(body: .template(StartRequest(traceT: "BPF", traceId: 1, lasting: 60)))

    /// A run started 10 s before `now` for 60 s, still running when the endpoint stopped.
    static func record(relaunch: RelaunchableStart? = start, deadlineIn seconds: TimeInterval = 50) -> RunRecord {
        RunRecord(
            filePath: "/tmp/a.trace",
            runNumber: 7,
            template: TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"]),
            tracer: "BPF",
            lastingSeconds: 60,
            startedAt: now.addingTimeInterval(-10),
            deadline: now.addingTimeInterval(seconds),
            privilege: "root",
            relaunch: relaunch
        )
    }

    static func decide(_ record: RunRecord, rules: RelaunchDecision.Rules = rules, fileUsable: Bool = true) -> RelaunchDecision {
        RelaunchDecision(record: record, fileUsable: fileUsable, fileModified: now.addingTimeInterval(-3), now: now, rules: rules)
    }

    @Test("After an abrupt stop: relaunched for the whole seconds left, the gap beginning at the file's last write")
    func abruptStop() {
        #expect(Self.decide(Self.record(deadlineIn: 49.2)) == .relaunch(lastingSeconds: 50, stoppedAt: Self.now.addingTimeInterval(-3)))
    }

    @Test("After a graceful stop: the gap begins at the suspension")
    func gracefulStop() {
        var record = Self.record()
        record.suspendedAt = Self.now.addingTimeInterval(-20)
        record.suspendedCode = 0
        #expect(Self.decide(record) == .relaunch(lastingSeconds: 50, stoppedAt: Self.now.addingTimeInterval(-20)))
    }

    @Test("A recorded exit is the run's end; nothing is relaunched")
    func exitRecorded() {
        var record = Self.record()
        record.exitCode = 0
        #expect(Self.decide(record) == .end(nil))
    }

    @Test("resume: false, or no start rules to check it against: the run ends as before (code -1, unknown exit)")
    func notAskedOrCannotCheck() {
        let unknown = FinishedReport(code: -1, stderr: TraceRun.unknownExitExplanation)
        #expect(Self.decide(Self.record(relaunch: nil)) == .end(unknown))
        #expect(Self.decide(Self.record(), rules: .init(resumeRuns: true, maxRunResumes: 10, canApprove: false)) == .end(unknown))
    }

    @Test("resume-runs: false ends a suspended run with its tracer's own code and stderr, saying why")
    func resumeRunsOff() {
        var record = Self.record()
        record.suspendedCode = 0
        record.suspendedAt = Self.now
        record.earlierStderr = "warning\n"
        guard case .end(let exit?) = Self.decide(record, rules: .init(resumeRuns: false, maxRunResumes: 10, canApprove: true)) else {
            Issue.record("the run is relaunched")
            return
        }
        #expect(exit.code == 0)
        #expect(exit.stderr == "warning\n" + RunLifecycle.note("not relaunched after the restart: resume-runs is false"))
    }

    @Test("No whole second left: the run ends saying its lasting ran out while the endpoint was stopped")
    func noTimeLeft() {
        guard case .end(let exit?) = Self.decide(Self.record(deadlineIn: 0.5)) else {
            Issue.record("relaunched with no time left")
            return
        }
        #expect(exit.code == -1)
        #expect(exit.stderr.hasSuffix(RunLifecycle.note("not relaunched after the restart: its lasting ended while the endpoint was stopped")))
    }

    @Test("max-run-resumes reached: code -1 naming the setting, even after a graceful stop")
    func maxRunResumes() {
        var record = Self.record()
        record.resumedCount = 2
        record.suspendedCode = 0
        record.earlierStderr = "earlier\n"
        guard case .end(let exit?) = Self.decide(record, rules: .init(resumeRuns: true, maxRunResumes: 2, canApprove: true)) else {
            Issue.record("relaunched past max-run-resumes")
            return
        }
        #expect(exit.code == -1)
        #expect(exit.stderr.hasPrefix("earlier\n"))
        #expect(exit.stderr.contains("relaunched 2 times already, the most max-run-resumes (2) allows"))
        record.resumedCount = 1
        #expect(Self.decide(record, rules: .init(resumeRuns: true, maxRunResumes: 2, canApprove: true)) != .end(exit))
    }

    @Test("An unusable file is never relaunched into: the run ends (the lifecycle adds the file's problem)")
    func unusableFile() {
        #expect(Self.decide(Self.record(), fileUsable: false) == .end(FinishedReport(code: -1, stderr: TraceRun.unknownExitExplanation)))
    }

    @Test("The stored start survives its JSON: a relaunch asks for the same body, lasting the time left")
    func storedStartRoundTrips() throws {
        let target = TargetObject(entries: ["pod": .string("web-*"), "namespace": .string("prod")])
        let starts = [
            RelaunchableStart(body: .template(StartRequest(traceT: "BPF", traceId: 3, lasting: 60, target: target, maxEventsPerSecond: 500))),
            RelaunchableStart(
                body: .analysis(
                    AnalysisStartRequest(analysis: "syscalls", parameters: ["interval": .integer(2), "comm": .string("sh")], lasting: 60)
                ),
                pidStartTime: 123
            ),
        ]
        for start in starts {
            let decoded = try JSONDecoder().decode(RelaunchableStart.self, from: JSONEncoder().encode(start))
            #expect(decoded == start)
            #expect(decoded.asksToResume)
        }
        guard case .template(let shortened) = starts[0].body(lasting: 12) else { return }
        #expect(shortened.lasting == 12 && shortened.target == target && shortened.maxEventsPerSecond == 500)
    }
}
