/// The tracers an endpoint can run: `bpftrace` and SystemTap's `stap`.
public enum TracerType: String, Codable, Sendable, CaseIterable {
    case bpf = "BPF"
    case stap = "STAP"

    public static var namesForMessages: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
