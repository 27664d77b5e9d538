/// The parts of an analysis's bpftrace program, and the one place they are put together,
/// so that every analysis keeps the guarantees of a template's program
/// (`TracerProgram`): `["ready", nsecs]` first, from BEGIN, once the probes are live;
/// `["alive", nsecs]` every `TracerProgram.aliveIntervalSeconds`, so a tracer whose
/// endpoint died meets the closed pipe; `interval:s:<lasting> { exit(); }`, so it never
/// outlives its time.
///
/// Analyses that aggregate print their maps every `interval` seconds and at the end:
/// `["interval", nsecs]` (or `["end", nsecs]` from END), then each map that has entries
/// as bpftrace's `-f json` prints it (`{"type": "map"|"hist", "data": {"@name": ...}}`;
/// an empty map prints nothing), then clear it, so each print holds one interval. Every
/// program prints `["end", nsecs]` from END, after which bpftrace writes two empty lines
/// (as for any `-f json` program). Maps used only inside the program are cleared
/// unprinted in END; otherwise bpftrace would print them at exit.
///
/// Only validated values reach the text: numbers from the parameters' ranges, enumeration
/// values, names that passed the template rules (`[A-Za-z0-9/._+-]` paths,
/// `[A-Za-z_][A-Za-z0-9_.$]*` functions), the scope's numeric ids. No request string is
/// ever written as a bpftrace string literal (they are limited to 63 bytes in 0.17).
public struct AnalysisProgram: Sendable, Equatable {
    /// One probe: where it attaches, its own condition, and its statements.
    public struct Probe: Sendable, Equatable {
        public var attachTo: String
        public var condition: String?
        /// Whether the scope's filter applies: true for probes that observe a task or
        /// start a measurement, false for those that finish one a filtered probe began.
        public var scoped: Bool
        public var action: String

        public init(_ attachTo: String, when condition: String? = nil, scoped: Bool = true, _ action: String) {
            self.attachTo = attachTo
            self.condition = condition
            self.scoped = scoped
            self.action = action
        }
    }

    /// A map printed every interval and at the end; `top` > 0 prints only that many
    /// entries, the largest first (bpftrace's `print(@map, top)`; histograms print whole).
    public struct Report: Sendable, Equatable {
        public var map: String
        public var top: Int

        public init(_ map: String, top: Int = 0) {
            self.map = map
            self.top = top
        }
    }

    /// Statements in BEGIN after the ready line (tables such as TCP state names).
    public var setup: [String]
    public var probes: [Probe]
    public var reports: [Report]
    /// Seconds between two prints of `reports`; nil for analyses that only print events.
    public var intervalSeconds: Int?
    /// Maps the probes use for their own bookkeeping, cleared unprinted at the end.
    public var scratchMaps: [String]

    public init(setup: [String] = [], probes: [Probe], reports: [Report] = [], intervalSeconds: Int? = nil, scratchMaps: [String] = []) {
        self.setup = setup
        self.probes = probes
        self.reports = reports
        self.intervalSeconds = intervalSeconds
        self.scratchMaps = scratchMaps
    }

    /// `rateBound`: the run's event-rate bound (nil: none, as in the golden texts of the tests).
    public func text(lastingSeconds: Int, scope: AnalysisScope, rateBound: EventRateBound? = nil) -> String {
        blocks(lastingSeconds: lastingSeconds, scope: scope, rateBound: rateBound).map { "\($0.attachTo)\($0.rest)" }.joined(separator: "\n") + "\n"
    }

    /// The program's probes as bpftrace counts them in its `attached_probes` notice: every
    /// attach point of every block, BEGIN, END and the intervals included (measured: BEGIN,
    /// two tracepoints in one block, one interval and END attach 5). What a run compares
    /// the tracer's count with (`TracerProgram.probes`, for templates).
    public func attachPoints(lastingSeconds: Int, scope: AnalysisScope, rateBound: EventRateBound? = nil) -> [String] {
        blocks(lastingSeconds: lastingSeconds, scope: scope, rateBound: rateBound).flatMap { $0.attachTo.components(separatedBy: ", ") }
    }

    /// The same program probing `files` wherever it probes `process` (`uprobe:` and
    /// `uretprobe:` attach points): a targeted run names the binary inside each matched
    /// target (`/proc/<pid>/root/...`, `TargetResolver.probedFiles`), one attach point per file.
    public func probing(_ process: String, as files: [String]) -> AnalysisProgram {
        var program = self
        for index in program.probes.indices {
            program.probes[index].attachTo = program.probes[index].attachTo.components(separatedBy: ", ").flatMap { point -> [String] in
                for kind in ["uprobe:", "uretprobe:"] where point.hasPrefix(kind + process + ":") {
                    let function = point.dropFirst(kind.count + process.count + 1)
                    return files.map { "\(kind)\($0):\(function)" }
                }
                return [point]
            }.joined(separator: ", ")
        }
        return program
    }

    /// Each block: where it attaches, then its predicate and statements. A scope of pids
    /// adds the probe that marks their exits first (`TargetExitGuard`).
    /// With a `rateBound`, every probe counts each fire first and then applies its filter
    /// (the scope's and its own condition) with `if`, so a filtered-out fire is counted
    /// too (`EventRateBound`); the bound's check is one more block and END clears its maps.
    func blocks(lastingSeconds: Int, scope: AnalysisScope, rateBound: EventRateBound? = nil) -> [(attachTo: String, rest: String)] {
        var blocks = [("BEGIN", " { " + (["print((\"ready\", nsecs));"] + setup).joined(separator: " ") + " }")]
        if let exit = scope.exitGuard?.exitProbe { blocks.append((exit.attachTo, " /\(exit.predicate)/ { \(exit.action) }")) }
        for probe in probes {
            let conditions = [probe.scoped ? scope.predicate : nil, probe.condition.map { "(\($0))" }].compactMap { $0 }
            let filter = conditions.isEmpty ? nil : conditions.joined(separator: " && ")
            if let rateBound {
                blocks.append((probe.attachTo, " { \(rateBound.countThenFilter(filter, probe.action)) }"))
            } else {
                blocks.append((probe.attachTo, (filter.map { " /\($0)/" } ?? "") + " { \(probe.action) }"))
            }
        }
        if let intervalSeconds, !reports.isEmpty {
            blocks.append(
                ("interval:s:\(intervalSeconds)", " { " + (["print((\"interval\", nsecs));"] + printAndClearReports).joined(separator: " ") + " }")
            )
        }
        blocks.append(("interval:s:\(TracerProgram.aliveIntervalSeconds)", " { print((\"alive\", nsecs)); }"))
        blocks.append(("interval:s:\(lastingSeconds)", " { exit(); }"))
        if let rateBound { blocks.append((rateBound.checkProbe.attachTo, " { \(rateBound.checkProbe.action) }")) }
        let end =
            ["print((\"end\", nsecs));"] + printAndClearReports + scratchMaps.map { "clear(\($0));" }
            + (scope.exitGuard == nil ? [] : TargetExitGuard.endStatements) + (rateBound == nil ? [] : EventRateBound.endStatements)
        blocks.append(("END", " { " + end.joined(separator: " ") + " }"))
        return blocks
    }

    var printAndClearReports: [String] {
        reports.flatMap { report in
            [report.top > 0 ? "print(\(report.map), \(report.top));" : "print(\(report.map));", "clear(\(report.map));"]
        }
    }
}
