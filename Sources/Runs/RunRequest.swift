import Foundation
import HostSystem
import TraceModel

/// What a start asks the supervisor to run, every check that needs no run already
/// passed (`StartRefusal` lists the ones that did not): a template's functions or an
/// analysis, the tracer to run it with, for how long, and on what target. Every run kind
/// is one of these into the one run machinery; the program and its probes are made
/// here, once for each kind.
public struct RunRequest: Sendable, Equatable {
    /// The TEMPLATE keys of the run's views; for an analysis, `ValidatedAnalysis.template`.
    public var template: TraceTemplate
    public var tracer: TracerType
    public var lastingSeconds: Int
    /// The binary the run probes, as read at the start (nil: not read, as in tests of
    /// the supervisor alone, or an analysis that probes none).
    public var binary: TracedBinary?
    /// nil: the host (the template's process on the host, as before targets).
    public var target: RunTarget?
    /// nil: the run probes the template's functions; else it runs this analysis's program.
    public var analysis: ValidatedAnalysis?
    /// The event-rate bound the program enforces on itself (bpftrace; nil: none, as in
    /// tests of the supervisor alone).
    public var rateBound: EventRateBound?
    /// The probed files as the start checked them, still open: the program names each by
    /// its descriptor (nil: named by path, as in tests of the supervisor alone).
    public var heldBinaries: HeldBinaries?
    /// The start to relaunch the run from after a restart (nil: the run ends at a stop,
    /// as a start with `"resume": false` asks, or as in tests of the supervisor alone).
    public var relaunch: RelaunchableStart?

    public init(
        template: TraceTemplate,
        tracer: TracerType,
        lastingSeconds: Int,
        binary: TracedBinary? = nil,
        target: RunTarget? = nil,
        analysis: ValidatedAnalysis? = nil,
        rateBound: EventRateBound? = nil,
        heldBinaries: HeldBinaries? = nil
    ) {
        self.heldBinaries = heldBinaries
        self.rateBound = tracer == .bpf ? rateBound : nil
        self.template = template
        self.tracer = tracer
        self.lastingSeconds = lastingSeconds
        self.binary = binary
        self.target = target
        self.analysis = analysis
    }

    /// An analysis's run: its TEMPLATE view and bpftrace, the tracer of every analysis.
    public init(
        analysis: ValidatedAnalysis,
        lastingSeconds: Int,
        binary: TracedBinary? = nil,
        target: RunTarget? = nil,
        rateBound: EventRateBound? = nil,
        heldBinaries: HeldBinaries? = nil
    ) {
        self.init(
            template: analysis.template,
            tracer: analysis.analysis.tracer,
            lastingSeconds: lastingSeconds,
            binary: binary,
            target: target,
            analysis: analysis,
            rateBound: rateBound,
            heldBinaries: heldBinaries
        )
    }

    /// The analysis's program for the run's target: filtered to it, and probing the
    /// target's own copies of a binary it probes, each named by `naming`.
    private func analysisProgram(naming: (String) -> String) -> AnalysisProgram? {
        guard let analysis else { return nil }
        let files = target.map { $0.resolved.files.map(\.path) } ?? analysis.probedBinary.map { [$0.process] }
        return analysis.program(scope: AnalysisScope(target?.resolved), probedFiles: files?.map(naming))
    }

    /// The tracer program's text. bpftrace is given each probed file by the descriptor the
    /// start checked it through (`HeldBinaries`), never by a path it would resolve again.
    /// (SystemTap keeps the path: it cannot be targeted, and its runtime cannot run here.)
    public var programText: String {
        let naming = { (path: String) in self.tracer == .bpf ? self.heldBinaries?.tracerPath(naming: path) ?? path : path }
        if let analysisProgram = analysisProgram(naming: naming) {
            return analysisProgram.text(lastingSeconds: lastingSeconds, scope: AnalysisScope(target?.resolved), rateBound: rateBound)
        }
        var template = template
        template.process = naming(template.process)
        var resolved = target?.resolved
        if var files = resolved?.files {
            for index in files.indices { files[index].path = naming(files[index].path) }
            resolved?.files = files
        }
        return TracerProgram.text(for: template, tracer: tracer, lastingSeconds: lastingSeconds, target: resolved, rateBound: rateBound)
    }

    /// The program's probes as bpftrace counts them (nil for SystemTap), each file named
    /// by its path, as the run's status and messages show it.
    public var expectedProbes: [String]? {
        if let analysisProgram = analysisProgram(naming: { $0 }) {
            return analysisProgram.attachPoints(lastingSeconds: lastingSeconds, scope: AnalysisScope(target?.resolved), rateBound: rateBound)
        }
        return TracerProgram.probes(for: template, tracer: tracer, lastingSeconds: lastingSeconds, target: target?.resolved, rateBound: rateBound)
    }
}

/// A file a run probes and which build it was at the start.
public struct TracedBinary: Sendable, Equatable {
    public var path: String
    public var identity: BinaryIdentity
    /// The template recorded another build when it was stored (and pins none, else the
    /// start was refused).
    public var changedSinceStored: Bool

    public init(path: String, identity: BinaryIdentity, changedSinceStored: Bool) {
        self.path = path
        self.identity = identity
        self.changedSinceStored = changedSinceStored
    }

    /// `["binary", path, buildId, sha256]` (`StreamValueLine`, the build-id `null` when
    /// there is none): the line the endpoint writes into the stream right after `ready`.
    public var streamLine: [UInt8] {
        let quoted = StreamValueLine.quoted
        return Array(StreamValueLine.text(["\"binary\"", quoted(path), quoted(identity.buildId), quoted(identity.sha256)]).utf8)
    }
}

/// A started run, as `POST /trace/start` answers it.
public struct StartedRun: Sendable, Equatable {
    public var runNumber: Int
    public var filePath: String
}
