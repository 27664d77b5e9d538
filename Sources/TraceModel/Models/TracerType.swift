/// The tracers an endpoint can run: `bpftrace` and SystemTap's `stap`.
public enum TracerType: String, Codable, Sendable, CaseIterable {
    case bpf = "BPF"
    case stap = "STAP"

    public static var namesForMessages: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension TracerType {
    /// The tracer a request field names (`traceT`, `removeType`), or the refusal every
    /// route answers for any other name.
    static func named(_ name: String, field: String) throws(FieldError) -> TracerType {
        guard let tracer = TracerType(rawValue: name) else {
            throw FieldError(field: field, reason: "\(quoted(name, limit: 40)) is not a tracer type; expected one of \(namesForMessages)")
        }
        return tracer
    }
}
