import PlatformWire
import Submitter
import Testing

@testable import Runs

/// Every transition of a run's life, and every event that must change nothing, without
/// a process.
@Suite("Run lifecycle (pure)")
struct RunLifecycleTests {
    @Test("starting → running → stopping → exited → delivered, with the actions each asks for")
    func happyPath() {
        var run = RunLifecycle()
        #expect(run.runState == .starting)
        #expect(run.childRecorded() == .none)
        run.readySeen()
        #expect(run.runState == .running && run.ready)
        #expect(run.stopRequested(reason: nil, grace: .seconds(5)) == .startStopSequence(grace: .seconds(5)))
        #expect(run.runState == .stopping)
        let exit = run.childExited(code: 0, stderr: "maps\n")
        #expect(exit == FinishedReport(code: 0, stderr: "maps\n"))
        #expect(run.runState == .delivering && run.exit == exit && run.failure == nil)
        run.finishedAcknowledged()
        #expect(run.runState == .delivered && run.exit == exit)
    }

    @Test("A stop before the child is recorded asks for nothing, then starts the sequence once it is")
    func stopBeforeChild() {
        var run = RunLifecycle()
        #expect(run.stopRequested(reason: "stopped: max-spool-bytes", grace: .seconds(1)) == .none)
        #expect(run.runState == .stopping)
        #expect(run.childRecorded() == .startStopSequence(grace: .seconds(1)))
        #expect(run.childRecorded() == .none, "recorded twice, the sequence would run twice")
    }

    @Test("Events that make no sense in a phase change nothing and ask for nothing")
    func impossibleEvents() {
        var run = RunLifecycle()
        _ = run.childRecorded()
        run.finishedAcknowledged()
        #expect(run.runState == .starting, "an acknowledgement before the exit")
        #expect(run.stopRequested(reason: "first", grace: .seconds(1)) == .startStopSequence(grace: .seconds(1)))
        #expect(run.stopRequested(reason: "second", grace: .seconds(9)) == .none)
        #expect(run.stopReason == "first")
        _ = run.childExited(code: 130, stderr: "")
        let exited = run
        #expect(run.childExited(code: 0, stderr: "again") == nil)
        #expect(run.stopRequested(reason: nil, grace: .seconds(1)) == .none)
        run.readySeen()
        #expect(run.runState == .delivering && run.exit == exited.exit, "events after the exit")
        run.finishedAcknowledged()
        run.finishedAcknowledged()
        #expect(run.runState == .delivered)
    }

    @Test("The endpoint's own notes follow the tracer's stderr; the failure names the first cause")
    func notesAndFailure() {
        var spooled = RunLifecycle()
        _ = spooled.childRecorded()
        spooled.readySeen()
        _ = spooled.stopRequested(reason: "stopped: max-spool-bytes reached", grace: .seconds(1))
        #expect(spooled.childExited(code: 0, stderr: "bye\n")?.stderr == "bye\n\n[lambda-endpoint: stopped: max-spool-bytes reached]\n")
        #expect(spooled.failure == "stopped: max-spool-bytes reached")

        var diskFull = RunLifecycle()
        _ = diskFull.childRecorded()
        #expect(diskFull.outputFailed("cannot write the run file: No space left on device") == .startStopSequence(grace: .seconds(1)))
        #expect(diskFull.outputFailed("cannot write the run file: again") == .none)
        #expect(diskFull.childExited(code: 0, stderr: "")?.stderr == "\n[lambda-endpoint: cannot write the run file: No space left on device]\n")
        #expect(diskFull.failure == "cannot write the run file: No space left on device")

        var early = RunLifecycle()
        _ = early.childExited(code: 1, stderr: "ERROR: No probes to attach\n")
        #expect(early.failure == "tracer exited with code 1 before its probes were live: ERROR: No probes to attach")
    }

    @Test("A resumed run is exited already; a damaged file is noted in stderr and is its failure")
    func resumed() {
        let damaged = RunLifecycle(resumedWith: FinishedReport(code: 0, stderr: "ok\n"), fileProblem: "the run file is missing after the restart")
        #expect(damaged.runState == .delivering && damaged.ready)
        #expect(damaged.exit?.stderr == "ok\n\n[lambda-endpoint: the run file is missing after the restart]\n")
        #expect(damaged.failure == "the run file is missing after the restart")
        let intact = RunLifecycle(
            resumedWith: FinishedReport(code: TraceRun.unknownExitCode, stderr: TraceRun.unknownExitExplanation),
            fileProblem: nil
        )
        #expect(intact.failure?.contains("the endpoint restarted while this tracer ran") == true)
    }
}

/// A graceful stop of a run the endpoint relaunches at its next start.
@Suite("Run lifecycle: suspension (pure)")
struct RunSuspensionTests {
    @Test("A suspension stops the tracer as a stop does; its exit suspends the run: no exit, no finished")
    func suspension() {
        var run = RunLifecycle()
        _ = run.childRecorded()
        run.readySeen()
        #expect(run.suspendRequested(grace: .seconds(5)) == .startStopSequence(grace: .seconds(5)))
        #expect(run.runState == .stopping)
        #expect(run.childExited(code: 0, stderr: "maps\n") == nil, "a suspended run's exit is not its finished")
        #expect(run.runState == .suspended && run.exit == nil && run.tracerEnded)
        #expect(run.suspension == FinishedReport(code: 0, stderr: "maps\n"))
        run.finishedAcknowledged()
        #expect(run.runState == .suspended)
    }

    @Test("A run already stopping (a kill, the spool cap) ends as that stop asked")
    func stopWins() {
        var run = RunLifecycle()
        _ = run.childRecorded()
        _ = run.stopRequested(reason: nil, grace: .seconds(1))
        #expect(run.suspendRequested(grace: .seconds(5)) == .none)
        #expect(run.childExited(code: 0, stderr: "") == FinishedReport(code: 0, stderr: ""))
        #expect(run.runState == .delivering && run.suspension == nil)
    }

    @Test("A run whose output could not be written ends for good: a relaunch would leave a hole")
    func outputFailureEnds() {
        var run = RunLifecycle()
        _ = run.childRecorded()
        _ = run.suspendRequested(grace: .seconds(1))
        _ = run.outputFailed("disk full")
        let exit = run.childExited(code: 0, stderr: "")
        #expect(exit?.stderr.contains("disk full") == true)
        #expect(run.runState == .delivering)
    }

    @Test("A suspension before the child is recorded is carried out once it is")
    func suspensionBeforeChild() {
        var run = RunLifecycle()
        #expect(run.suspendRequested(grace: .seconds(2)) == .none)
        #expect(run.childRecorded() == .startStopSequence(grace: .seconds(2)))
        #expect(run.childExited(code: 0, stderr: "") == nil)
        #expect(run.runState == .suspended)
    }
}
