import Yams

extension ConfigValue {
    /// Parses YAML text. Errors name the line and column only: Yams' own error text
    /// quotes the offending line, which in `lambda-settings.yml` may hold the secret.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigError(file: file, key: nil, problem: "is not valid YAML (\(Self.location(of: error)))")
        } catch {
            throw ConfigError(file: file, key: nil, problem: "is not valid YAML")
        }
        guard let node else { return .null }
        return try convert(node, file: file, path: nil)
    }

    private static func location(of error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated keys: \(duplicates.joined(separator: ", "))"
        default:
            return "unreadable document"
        }
    }

    private static func convert(_ node: Node, file: String, path: String?) throws(ConfigError) -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            if node.null != nil, scalar.style == .plain { return .null }
            return .scalar(scalar.string)
        case .sequence(let sequence):
            var items: [ConfigValue] = []
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, file: file, path: "\(path ?? "")[\(index)]"))
            }
            return .sequence(items)
        case .mapping(let mapping):
            var pairs: [(key: String, value: ConfigValue)] = []
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.scalar?.string else {
                    throw ConfigError(file: file, key: path, problem: "mapping keys must be plain words")
                }
                let childPath = path.map { "\($0).\(key)" } ?? key
                if pairs.contains(where: { $0.key == key }) {
                    throw ConfigError(file: file, key: childPath, problem: "is given twice")
                }
                pairs.append((key, try convert(valueNode, file: file, path: childPath)))
            }
            return .mapping(pairs)
        case .alias:
            throw ConfigError(file: file, key: path, problem: "YAML aliases are not supported")
        }
    }
}
