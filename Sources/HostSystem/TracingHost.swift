import EndpointConfig
import Foundation
import TraceModel

/// What this host offers analysis programs, checked rather than assumed: the tracer
/// binary, each tracepoint in tracefs (`<tracefs>/events/<category>/<name>`), kprobes and
/// uprobes (the kernel's kprobe/uprobe perf PMUs, which bpftrace uses first, or tracefs's
/// `kprobe_events`/`uprobe_events`, its fallback), perf events that sample (a cpu-clock
/// event actually opened, `PerfEventSampling`) and the kernel's BTF.
///
/// Every check is a `stat` or one system call (all nine analyses: about 15 `stat`s and one
/// `perf_event_open`, well under a millisecond), so availability is read afresh for each
/// question: a host that mounts tracefs later is seen at once. The reads are blocking
/// file work on paths a setting names: the server runs `availability(of:)` on a
/// `BlockingWorkPool`, never on the concurrency pool.
public struct TracingHost: Sendable {
    public static let defaultEventSourcePath = "/sys/bus/event_source/devices"
    public static let defaultKernelBTFPath = "/sys/kernel/btf/vmlinux"

    public let tracerPath: String
    public let tracefsPath: String
    public let eventSourcePath: String
    public let kernelBTFPath: String
    let perfEventSampling: @Sendable () -> PerfEventSampling.Outcome

    public init(
        tracerPath: String,
        tracefsPath: String,
        eventSourcePath: String = TracingHost.defaultEventSourcePath,
        kernelBTFPath: String = TracingHost.defaultKernelBTFPath,
        perfEventSampling: @escaping @Sendable () -> PerfEventSampling.Outcome = PerfEventSampling.check
    ) {
        self.tracerPath = tracerPath
        self.tracefsPath = tracefsPath
        self.eventSourcePath = eventSourcePath
        self.kernelBTFPath = kernelBTFPath
        self.perfEventSampling = perfEventSampling
    }

    /// The host as the endpoint's settings describe it (`bpf-path`, `tracefs-path`).
    public init(settings: LambdaSettings) {
        self.init(tracerPath: settings.bpfPath, tracefsPath: settings.tracefsPath)
    }

    /// One availability per analysis, in their order; each host feature is checked once.
    public func availability(of analyses: [Analysis]) -> [AnalysisAvailability] {
        let features = Features(host: self)
        return analyses.map { analysis in AnalysisAvailability(name: analysis.name, unmet: features.unmet(analysis.requirements)) }
    }

    public func availability(of analysis: Analysis) -> AnalysisAvailability {
        availability(of: [analysis])[0]
    }

    /// The host's features, each read at most once and only when an analysis needs it
    /// (perf events are opened only for one that samples).
    final class Features {
        let host: TracingHost
        lazy var tracerProblem: UnmetRequirement? =
            FileManager.default.isExecutableFile(atPath: host.tracerPath) ? nil : .tracerMissing(path: host.tracerPath)
        lazy var tracefsProblem: UnmetRequirement? = host.isDirectory(host.tracefsPath + "/events") ? nil : .tracefsMissing(path: host.tracefsPath)
        lazy var kprobesProblem: UnmetRequirement? =
            host.exists("kprobe_events", orEventSource: "kprobe")
            ? nil : .kprobesMissing(tracefsPath: host.tracefsPath, eventSourcePath: host.eventSourcePath)
        lazy var uprobesProblem: UnmetRequirement? =
            host.exists("uprobe_events", orEventSource: "uprobe")
            ? nil : .uprobesMissing(tracefsPath: host.tracefsPath, eventSourcePath: host.eventSourcePath)
        lazy var perfEventsProblem: UnmetRequirement? = {
            switch host.perfEventSampling() {
            case .works: nil
            case .refused(let reason): .perfEventsRefused(reason: reason)
            }
        }()
        lazy var kernelBTFProblem: UnmetRequirement? =
            FileManager.default.fileExists(atPath: host.kernelBTFPath) ? nil : .kernelBTFMissing(path: host.kernelBTFPath)
        private var tracepointProblems: [Tracepoint: UnmetRequirement?] = [:]

        init(host: TracingHost) {
            self.host = host
        }

        func unmet(_ requirements: AnalysisRequirements) -> [UnmetRequirement] {
            var unmet: [UnmetRequirement?] = [tracerProblem]
            if !requirements.tracepoints.isEmpty {
                // Without tracefs every tracepoint is missing: one reason says it.
                unmet += tracefsProblem.map { [$0] } ?? requirements.tracepoints.map(tracepointProblem)
            }
            if requirements.kprobes { unmet.append(kprobesProblem) }
            if requirements.uprobes { unmet.append(uprobesProblem) }
            if requirements.perfEventSampling { unmet.append(perfEventsProblem) }
            if requirements.kernelBTF { unmet.append(kernelBTFProblem) }
            return unmet.compactMap { $0 }
        }

        func tracepointProblem(_ tracepoint: Tracepoint) -> UnmetRequirement? {
            if let known = tracepointProblems[tracepoint] { return known }
            let path = "\(host.tracefsPath)/events/\(tracepoint.category)/\(tracepoint.name)"
            let problem: UnmetRequirement? = host.isDirectory(path) ? nil : .tracepointMissing(tracepoint, path: path)
            tracepointProblems[tracepoint] = .some(problem)
            return problem
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func exists(_ tracefsFile: String, orEventSource device: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(tracefsPath)/\(tracefsFile)")
            || FileManager.default.fileExists(atPath: "\(eventSourcePath)/\(device)")
    }
}

extension AnalysisListing {
    /// The catalogue as `host` offers it (`GET /analyses`, `lambda-endpoint analyses`).
    public static func catalogue(on host: TracingHost) -> [AnalysisListing] {
        zip(AnalysisCatalogue.all, host.availability(of: AnalysisCatalogue.all)).map { AnalysisListing($0, availability: $1) }
    }
}
