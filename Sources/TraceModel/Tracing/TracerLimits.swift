/// bpftrace's own limits, set explicitly for every run instead of left to the version's
/// defaults: how many keys a map may hold (`BPFTRACE_MAP_KEYS_MAX`, each key costs kernel
/// memory for the run's whole life), how many probes a program may attach
/// (`BPFTRACE_MAX_PROBES`) and how many bytes a string holds (`BPFTRACE_STRLEN`, on the
/// BPF stack, 200 at most). A template that sets one of them (within the allow-list's
/// caps) keeps its value; the others come from the settings. The run's status shows the
/// values it ran with.
public struct TracerLimits: Sendable, Equatable {
    public var mapKeysMax: Int
    public var maxProbes: Int
    public var stringLength: Int

    public init(mapKeysMax: Int, maxProbes: Int, stringLength: Int) {
        self.mapKeysMax = mapKeysMax
        self.maxProbes = maxProbes
        self.stringLength = stringLength
    }

    /// bpftrace 0.17's own defaults, and the settings' defaults.
    public static let bpftraceDefaults = TracerLimits(mapKeysMax: 4096, maxProbes: 512, stringLength: 64)

    public static let mapKeysMaxVariable = "BPFTRACE_MAP_KEYS_MAX"
    public static let maxProbesVariable = "BPFTRACE_MAX_PROBES"
    public static let stringLengthVariable = "BPFTRACE_STRLEN"

    /// These limits with the template's own values where it sets them.
    public func applied(to template: TraceTemplate) -> TracerLimits {
        let given = Dictionary(zip(template.environment, template.value), uniquingKeysWith: { first, _ in first })
        func value(_ name: String, _ fallback: Int) -> Int { given[name].flatMap { Int($0) } ?? fallback }
        return TracerLimits(
            mapKeysMax: value(Self.mapKeysMaxVariable, mapKeysMax),
            maxProbes: value(Self.maxProbesVariable, maxProbes),
            stringLength: value(Self.stringLengthVariable, stringLength)
        )
    }

    /// By variable name, as the run's status shows them.
    public var byVariable: [String: Int] {
        [Self.mapKeysMaxVariable: mapKeysMax, Self.maxProbesVariable: maxProbes, Self.stringLengthVariable: stringLength]
    }

    /// As the tracer's environment gets them.
    public var environment: [String: String] { byVariable.mapValues(String.init) }
}
