/// A `DecodingError` as the one sentence a 400 answer carries, naming the field, e.g.
/// `functions[1]: expected a string`. Paths are built from our own coding keys and
/// array indices only (unknown keys are ignored, never echoed); the one text that is not
/// ours, Foundation's description of corrupt data, is kept to one short line with no
/// control characters, which the request fuzzer checks (Fuzz/requests).
public enum DecodingErrorDescription {
    public static func sentence(for error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "body is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(expectation(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): must not be null (expected \(expectation(type)))"
        @unknown default:
            return "body does not have the expected shape"
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "body" }
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        default:
            // Arrays of any element; everything else the routes decode is an object.
            return "\(type)".hasPrefix("Array") ? "a list" : "a JSON object"
        }
    }
}
