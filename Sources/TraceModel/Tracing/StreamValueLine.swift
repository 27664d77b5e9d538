import Foundation

/// A line the endpoint writes into a run's stream itself, in the shape of bpftrace's
/// `-f json` tuples: `{"type": "value", "data": [e1,e2,...]}` and a newline. Written by
/// the endpoint rather than printed by the program: bpftrace 0.17 refuses string literals
/// over 64 bytes (a container id, a long path), and a tuple cannot hold `null`.
public enum StreamValueLine {
    /// `elements` are JSON texts already (`quoted` strings, numbers, `null`).
    public static func text(_ elements: [String]) -> String {
        "{\"type\": \"value\", \"data\": [\(elements.joined(separator: ","))]}\n"
    }

    /// A JSON string, `null` for nil; whatever is in it is escaped (a runtime's names are
    /// the runtime's), slashes left as they are, as bpftrace writes them.
    public static func quoted(_ text: String?) -> String {
        guard let text else { return "null" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
