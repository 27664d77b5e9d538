import EndpointStorage
import Foundation
import PlatformWire
import TraceModel

/// The events of a run's life (docs/fleet.md, "Events"): `run-started` once its record is
/// written, `run-finished` with its exit (one transaction), `delivery-stalled`.
extension RunSupervisor {
    /// `run-started`: its number, tracer, lasting, what it runs and on what target.
    func tellRunStarted(_ record: RunRecord, _ request: RunRequest) async {
        guard let events else { return }
        var detail: [String: JSONValue] = [
            "thread": .integer(Int64(record.runNumber)), "tracer": .string(request.tracer.rawValue),
            "lasting": .integer(Int64(request.lastingSeconds)),
        ]
        if let analysis = request.analysis {
            detail["analysis"] = .string(analysis.name)
        } else {
            detail["process"] = .string(request.template.process)
        }
        if let target = request.target { detail["target"] = Self.detail(of: target.asked) }
        await events.record(EndpointEvent(kind: .runStarted, run: record.filePath, detail: detail))
    }

    /// `run-resumed`: the run's tracer relaunched after a restart, how many times so far,
    /// where the gap began and the seconds it traces for.
    func tellRunResumed(_ filePath: String, resumedCount: Int, stoppedAt: Date, secondsLeft: Int) async {
        guard let events else { return }
        let detail: [String: JSONValue] = [
            "resumedCount": .integer(Int64(resumedCount)), "stoppedAtNs": .integer(RunContinuation.nanoseconds(stoppedAt)),
            "secondsLeft": .integer(Int64(secondsLeft)),
        ]
        await events.record(EndpointEvent(kind: .runResumed, run: filePath, detail: detail))
    }

    /// A graceful stop suspended the run for a relaunch at the next start: its tracer's
    /// code and every tracer's stderr so far, and when (no `run-finished`: it goes on).
    func recordSuspension(of run: TraceRun, _ suspension: FinishedReport) async {
        do {
            try await database.recordRunSuspended(filePath: run.filePath, at: Date(), code: suspension.code, earlierStderr: suspension.stderr)
        } catch {
            logger(for: run.filePath).error("Cannot record the run's suspension", metadata: ["error": "\(error)"])
        }
        retirements.signal()
    }

    /// What a start's `target` asked, as it asked it.
    static func detail(of target: TargetRequest) -> JSONValue {
        switch target {
        case .pid(let pid): .object(["pid": .integer(Int64(pid))])
        case .container(let id): .object(["container": .string(id)])
        case .cgroup(let path): .object(["cgroup": .string(path)])
        case .pod(let pod, let namespace, let container):
            .object([
                "pod": .string(pod?.pattern ?? "*"), "namespace": .string(namespace?.pattern ?? "*"), "container": .string(container?.pattern ?? "*"),
            ])
        }
    }

    /// The tracer's exit and, in the same transaction, the run's `run-finished`.
    func recordExit(of run: TraceRun, _ exit: FinishedReport) async throws {
        let finished = events.map { events in
            (EndpointEvent(kind: .runFinished, run: run.filePath, detail: ["code": .integer(Int64(exit.code))]), events.admission)
        }
        let dropped = try await database.recordTracerExit(
            filePath: run.filePath,
            code: exit.code,
            stderr: exit.stderr,
            bytesWritten: run.writtenOutput.bytesWritten,
            failure: run.status.failure,
            event: finished
        )
        events?.recorded(dropping: dropped)
    }

    /// `delivery-stalled`, with the platform's last status or why it was not reached.
    func tellDeliveryStalled(_ filePath: String, _ cursor: DeliveryCursor) async {
        guard let events else { return }
        var detail: [String: JSONValue] = ["seconds": .integer(Int64(DeliveryStallWatch.threshold.components.seconds))]
        if let status = cursor.lastStatusCode { detail["lastStatus"] = .integer(Int64(status)) }
        if let error = cursor.lastDeliveryError { detail["lastError"] = .string(error) }
        await events.record(EndpointEvent(kind: .deliveryStalled, run: filePath, detail: detail))
    }
}
