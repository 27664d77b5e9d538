/// A YAML document reduced to what configuration needs: mappings, sequences,
/// scalars and null. Keeping our own tree (instead of Yams' `Node`) makes the
/// readers small and keeps YAML details out of error messages. (Parsing, the one
/// place that needs Yams, is `ConfigValue+YAML.swift`.)
public indirect enum ConfigValue: Equatable, Sendable {
    case null
    case scalar(String)
    case sequence([ConfigValue])
    case mapping([(key: String, value: ConfigValue)])

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.scalar(a), .scalar(b)): return a == b
        case let (.sequence(a), .sequence(b)): return a == b
        case let (.mapping(a), .mapping(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}
