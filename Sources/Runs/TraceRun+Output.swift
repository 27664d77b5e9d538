import Foundation
import PlatformWire
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// A launched run's output and exit, as its child's reader threads report them.
extension TraceRun {
    /// Writes a block of the tracer's stdout to the run file, whole; the endpoint's own
    /// lines (a relaunch's `resumed` line, a targeted run's targets, the binaries) go in
    /// right after the `ready` line (the one exception the stream's contract makes to the
    /// stream being the tracer's stdout byte for byte).
    func appendOutput(_ bytes: UnsafeRawBufferPointer, of tracer: LaunchedTracer) {
        guard tracer.writesAfterReady, let cut = state.withLock({ $0.readyLineEnd.scan(bytes) }) else {
            appendTracerOutput(bytes, of: tracer)
            return
        }
        appendTracerOutput(UnsafeRawBufferPointer(rebasing: bytes[..<cut]), of: tracer)
        if let continuation = tracer.continuation {
            // The probes are live again: the gap ends now. Recorded before its line is
            // written: a kill in between leaves the record ahead of the stream, not behind.
            let gap = ResumeGap(stoppedAtNs: RunContinuation.nanoseconds(continuation.stoppedAt), resumedAtNs: RunContinuation.nanoseconds(Date()))
            let gaps = state.withLock { state in
                state.gaps.append(gap)
                return state.gaps
            }
            continuation.gapsChanged(gaps)
            gap.streamLine.withUnsafeBytes { appendTracerOutput($0, of: tracer) }
        }
        tracer.linesAfterReady.withUnsafeBytes { appendTracerOutput($0, of: tracer) }
        appendTracerOutput(UnsafeRawBufferPointer(rebasing: bytes[cut...]), of: tracer)
    }

    private func appendTracerOutput(_ bytes: UnsafeRawBufferPointer, of tracer: LaunchedTracer) {
        let (written, failure) = writeAll(tracer.outputFD, bytes)
        if let failure {
            // Disk full or similar: the bytes cannot be kept (the lifecycle stops the run).
            let (action, child) = state.withLock { ($0.lifecycle.outputFailed("cannot write the run file: \(failure)"), $0.child) }
            carryOut(action, child: child)
        }
        let (bytesWritten, lost, attached, becameReady) = state.withLock { state in
            state.bytesWritten += Int64(written)
            let attachedBefore = state.notices.probesAttached
            let lost = state.notices.scan(bytes)
            let attached = attachedBefore == nil ? state.notices.probesAttached : nil
            var becameReady = false
            if !state.lifecycle.ready, state.readyProbe.count < Self.readySearchLimit {
                state.readyProbe.append(contentsOf: bytes.prefix(Self.readySearchLimit - state.readyProbe.count))
                if state.readyProbe.firstRange(of: Self.readyMarker) != nil {
                    state.lifecycle.readySeen()
                    state.readyProbe = []
                    becameReady = true
                }
            }
            return (state.bytesWritten, (now: lost, total: state.notices.eventsLost), attached, becameReady)
        }
        // The probes are attached (each holds its file): the descriptors have done their part.
        if becameReady { tracer.heldBinaries?.release() }
        tracer.metrics?.outputWritten(bytes: written)
        if lost.now > 0 {
            tracer.metrics?.tracerLostEvents(lost.now)
            tracer.events?.eventsLost(lost.now)
            if lost.total == lost.now {
                tracer.logger?.warning("The tracer lost events", metadata: ["trace.path": "\(filePath)", "trace.events_lost": "\(lost.now)"])
            }
        }
        if let attached, let expectedProbes = tracer.expectedProbes, attached < expectedProbes.count {
            tracer.events?.tellOnce(
                .probesMissing,
                [
                    "attached": .integer(Int64(attached)), "expected": .integer(Int64(expectedProbes.count)),
                    "probes": .array(expectedProbes.map(JSONValue.string)),
                ]
            )
            stop(
                grace: .seconds(1),
                reason:
                    "stopped: bpftrace attached \(attached) of the \(expectedProbes.count) probes of its program; one or more of these did not attach: \(expectedProbes.joined(separator: ", "))"
            )
        }
        if budget.add(Int64(written)) {
            tracer.events?.tellOnce(.spoolFull, ["maxSpoolBytes": .integer(budget.capacity)])
            stop(
                grace: .seconds(1),
                reason:
                    "stopped: max-spool-bytes (\(budget.capacity) bytes of undelivered output) reached; the platform is not taking output fast enough"
            )
        }
        progress.signal(level: bytesWritten)
    }

    func exited(code: Int32, of tracer: LaunchedTracer) {
        if tracer.outputFD >= 0 { close(tracer.outputFD) }
        tracer.heldBinaries?.release()
        let rateLimited = state.withLock { state in
            // The program stopped itself: `finished` says why, after the tracer's own stderr.
            var rateNote: String?
            if let rateBound = tracer.rateBound, let events = state.notices.rateLimitedEvents { rateNote = rateBound.note(lastSecondEvents: events) }
            if let rateNote { Array(rateNote.utf8).withUnsafeBytes { state.stderr.append($0) } }
            _ = state.lifecycle.childExited(code: code, stderr: (tracer.continuation?.earlierStderr ?? "") + state.stderr.text)
            return rateNote == nil ? nil : state.notices.rateLimitedEvents
        }
        if let rateLimited, let rateBound = tracer.rateBound {
            tracer.events?.tellOnce(
                .rateLimited,
                [
                    "maxEventsPerSecond": .integer(Int64(rateBound.maxEventsPerSecond)), "lastSecondEvents": .integer(rateLimited),
                    "seconds": .integer(Int64(rateBound.seconds)), "windowSeconds": .integer(Int64(rateBound.windowSeconds)),
                ]
            )
        }
        progress.signal()
        exitSignal.signal()
    }
}
