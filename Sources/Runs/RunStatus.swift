import EndpointStorage
import Foundation
import PlatformWire
import TraceModel

/// Where a run is in its life.
public enum RunState: String, Codable, Sendable {
    /// Spawned; the tracer has not yet printed its "ready" line (probes not yet live).
    case starting
    /// Probes are live.
    case running
    /// A kill or the end of `lasting` was asked for; the tracer has not exited yet.
    case stopping
    /// The tracer exited; output and `finished` are still being delivered.
    case delivering
    /// `finished` was acknowledged by the platform.
    case delivered
    /// The endpoint is stopping: the tracer was stopped and the run is relaunched at the
    /// next start (its output so far is still being delivered).
    case suspended
}

/// A run as the API shows it: the template's fields (what docs/openapi.yaml
/// promises for `/trace/running`), the run's own, then its delivery cursor's (`DeliveryCursor`: a
/// counter added there shows here with no edit).
public struct RunStatus: Encodable, Sendable, Equatable {
    public var template: TraceTemplate
    /// An analysis's run: shown as `analysis` (its name) and `parameters` (every value,
    /// defaults included) beside the TEMPLATE keys.
    public var analysis: RunAnalysis?
    public var filePath: String
    public var runNumber: Int
    public var tracer: TracerType
    public var startedAt: Date
    public var deadline: Date
    public var state: RunState
    public var bytesRead: Int64
    public var delivery: DeliveryCursor
    /// Exit code of the tracer (128 + signal when a signal ended it), once it exited.
    public var exitCode: Int32?
    /// Why the run did not end as asked, e.g. sudo's or the tracer's error line.
    public var failure: String?
    public var privilege: String
    /// True when the run was picked up again after the endpoint restarted (its delivery,
    /// or its tracer relaunched).
    public var resumed: Bool
    /// Times the run's tracer was relaunched after a restart, and the gaps in its stream
    /// those left (docs/delivery.md, "Runs that outlive a restart").
    public var resumedCount = 0
    public var gaps: [ResumeGap] = []
    /// The probes of the run's program and how many the tracer said it attached (bpftrace
    /// only; nil until it said so, and for SystemTap).
    public var probesExpected: Int?
    public var probesAttached: Int?
    /// Events the tracer reported lost so far (its ring buffer overflowed).
    public var eventsLost: Int64 = 0
    /// A targeted run's target, as asked (`target`) and as resolved at start (`resolved`);
    /// nil for an untargeted run, and for a run picked up after a restart (not recorded).
    public var target: RunTarget?
    /// The target as recorded at the start (`target` and `resolved`): what a run picked
    /// up after a restart, without its launch's `target`, shows.
    public var recordedTarget: [String: JSONValue]?

    /// The binary probed is another build than the one recorded with the template.
    public var binaryChanged = false
    /// bpftrace's limits the run was started with, by variable (nil for SystemTap).
    public var tracerLimits: [String: Int]?
    /// The event rate above which the run's program stops itself (nil for SystemTap and
    /// a resumed run), and whether it did (`["rate-limit", events]` in its stream).
    public var maxEventsPerSecond: Int?
    public var rateLimited = false
    /// Whether the tracer runs in a cgroup of its own under `tracer-cpu-percent` and
    /// `tracer-memory-mib`, and if not why (nil for a resumed run).
    public var resourceCaps: ResourceCaps?

    public struct ResourceCaps: Encodable, Sendable, Equatable {
        public var applied: Bool
        public var cpuPercent: Int?
        public var memoryMiB: Int?
        public var cgroups: [String]?
        public var reason: String?

        init(_ outcome: TracerCgroup.Outcome) {
            switch outcome {
            case .applied(let caps, let directories):
                self.applied = true
                self.cpuPercent = caps.cpuPercent
                self.memoryMiB = caps.memoryMiB
                self.cgroups = directories
            case .notApplied(let reason):
                self.applied = false
                self.reason = reason
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case filePath, thread, traceT, startedAt, deadline, state, bytesRead, exitCode, failure, privilege, resumed, resumedCount, gaps
        case probesExpected, probesAttached, eventsLost, binaryChanged, tracerLimits, resourceCaps, target, resolved
        case analysis, parameters, maxEventsPerSecond, rateLimited, warnings
    }

    public func encode(to encoder: any Encoder) throws {
        // The template's keys sit at the top level, as in the original API; `traceType`
        // stays the template's list, and the tracer of this run is `traceT`.
        try template.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(analysis?.name, forKey: .analysis)
        try container.encodeIfPresent(analysis?.parameters, forKey: .parameters)
        try container.encode(filePath, forKey: .filePath)
        try container.encode(runNumber, forKey: .thread)
        try container.encode(tracer, forKey: .traceT)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(deadline, forKey: .deadline)
        try container.encode(state, forKey: .state)
        try container.encode(bytesRead, forKey: .bytesRead)
        try container.encodeIfPresent(exitCode, forKey: .exitCode)
        try container.encodeIfPresent(failure, forKey: .failure)
        try container.encode(privilege, forKey: .privilege)
        try container.encode(resumed, forKey: .resumed)
        try container.encode(resumedCount, forKey: .resumedCount)
        try container.encode(gaps, forKey: .gaps)
        try container.encodeIfPresent(probesExpected, forKey: .probesExpected)
        try container.encodeIfPresent(probesAttached, forKey: .probesAttached)
        try container.encode(eventsLost, forKey: .eventsLost)
        try container.encode(binaryChanged, forKey: .binaryChanged)
        try container.encodeIfPresent(tracerLimits, forKey: .tracerLimits)
        try container.encodeIfPresent(maxEventsPerSecond, forKey: .maxEventsPerSecond)
        try container.encode(rateLimited, forKey: .rateLimited)
        try container.encodeIfPresent(resourceCaps, forKey: .resourceCaps)
        if let target {
            try container.encode(target.asked, forKey: .target)
            try container.encode(target.resolved, forKey: .resolved)
        } else if let recorded = recordedTarget {
            try container.encodeIfPresent(recorded["target"], forKey: .target)
            try container.encodeIfPresent(recorded["resolved"], forKey: .resolved)
        }
        // What the run leaves untraced of its target (a cut filter, an unseen namespace).
        if let warnings = target?.resolved.warnings, !warnings.isEmpty { try container.encode(warnings, forKey: .warnings) }
        try delivery.encode(to: encoder)
    }
}

extension RunStatus {
    /// A finished run as the database remembers it.
    init?(stored: StoredRun) {
        let record = stored.run
        guard let tracer = TracerType(rawValue: record.tracer) else { return nil }
        self.init(
            template: record.template,
            analysis: record.analysis,
            filePath: record.filePath,
            runNumber: record.runNumber,
            tracer: tracer,
            startedAt: record.startedAt,
            deadline: record.deadline,
            state: stored.delivery.finishedAcknowledged ? .delivered : .delivering,
            bytesRead: record.bytesWritten ?? stored.delivery.bytesAcknowledged,
            delivery: stored.delivery,
            exitCode: record.exitCode,
            failure: record.failure,
            privilege: record.privilege,
            resumed: record.resumedCount > 0,
            resumedCount: record.resumedCount,
            gaps: record.gaps,
            recordedTarget: record.target
        )
    }
}
