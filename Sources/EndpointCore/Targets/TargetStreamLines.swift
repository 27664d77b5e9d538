import Foundation

/// The lines a targeted run's stream holds right after the tracer's `ready` line, one per
/// match: `{"type": "value", "data": ["target", kind, id, name, cgroupId]}`, in the shape
/// of bpftrace's `-f json` tuples. The endpoint writes them, not the tracer: bpftrace 0.17
/// cannot print a string literal of 64 bytes (a container id). So `name` and `cgroupId`
/// can be JSON `null` where unknown, which a bpftrace tuple could not hold.
public enum TargetStreamLines {
    public static func bytes(for target: ResolvedTarget) -> [UInt8] {
        var text = ""
        for match in target.matches {
            let elements = [
                "\"target\"", quoted(match.kind), quoted(match.id), match.name.map(quoted) ?? "null", match.cgroupId.map { "\($0)" } ?? "null",
            ]
            text += "{\"type\": \"value\", \"data\": [\(elements.joined(separator: ","))]}\n"
        }
        return Array(text.utf8)
    }

    /// A JSON string; a name is the runtime's, so anything in it is escaped.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
