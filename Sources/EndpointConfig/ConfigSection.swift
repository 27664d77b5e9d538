import Foundation

/// Typed, checked access to one YAML mapping of a configuration file.
///
/// Every value may be written Yesod-style as `"_env:NAME:default"`: the environment
/// variable NAME when it is set, else `default` (`"_env:NAME"` with no default makes
/// the variable required). Readers throw `ConfigError`s naming the file and the full
/// key. Only the number, duration, boolean and path readers quote the value they
/// refused; the string readers, which read the secrets, never quote a value.
public struct ConfigSection: Sendable {
    public let file: String
    let path: String?
    let pairs: [(key: String, value: ConfigValue)]
    let environment: [String: String]

    public init(file: String, value: ConfigValue, environment: [String: String], path: String? = nil) throws(ConfigError) {
        self.file = file
        self.path = path
        self.environment = environment
        switch value {
        case .mapping(let pairs): self.pairs = pairs
        case .null: self.pairs = []
        default: throw ConfigError(file: file, key: path, problem: path == nil ? "must be a YAML mapping of keys to values" : "must be a mapping")
        }
    }

    public var keys: [String] { pairs.map(\.key) }

    func fullKey(_ key: String) -> String { path.map { "\($0).\(key)" } ?? key }

    func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: fullKey(key), problem: problem)
    }

    /// The raw value after `_env:` substitution; nil when absent or null.
    func resolved(_ key: String) throws(ConfigError) -> ConfigValue? {
        guard let value = pairs.first(where: { $0.key == key })?.value else { return nil }
        guard case .scalar(let text) = value, text.hasPrefix("_env:") else {
            return value == .null ? nil : value
        }
        let reference = text.dropFirst("_env:".count)
        let name: Substring
        let fallback: Substring?
        if let colon = reference.firstIndex(of: ":") {
            name = reference[..<colon]
            fallback = reference[reference.index(after: colon)...]
        } else {
            name = reference
            fallback = nil
        }
        guard Self.isEnvironmentName(name) else {
            throw error(key, "'_env:' must be followed by an environment variable name (letters, digits, '_')")
        }
        if let fromEnvironment = environment[String(name)] { return .scalar(fromEnvironment) }
        guard let fallback else {
            throw error(key, "environment variable \(name) is not set and no default is given")
        }
        return .scalar(String(fallback))
    }

    static func isEnvironmentName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    // MARK: - Typed readers

    /// A string, or nil when the key is absent, null or (when `emptyIsAbsent`) empty.
    public func optionalString(_ key: String, emptyIsAbsent: Bool = true) throws(ConfigError) -> String? {
        guard let value = try resolved(key) else { return nil }
        guard case .scalar(let text) = value else {
            throw error(key, "expected a single value, got a \(value.kindName)")
        }
        if emptyIsAbsent && text.isEmpty { return nil }
        return text
    }

    public func string(_ key: String, default defaultValue: String? = nil) throws(ConfigError) -> String {
        if let text = try optionalString(key) { return text }
        if let defaultValue { return defaultValue }
        throw error(key, "is required and missing or empty")
    }

    public func int(_ key: String, default defaultValue: Int? = nil, range: ClosedRange<Int>, unit: String = "") throws(ConfigError) -> Int {
        guard let text = try optionalString(key) else {
            if let defaultValue { return defaultValue }
            throw error(key, "is required and missing")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let number = Int(trimmed) else {
            throw error(key, "expected a whole number, got \"\(text)\"")
        }
        guard range.contains(number) else {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound)\(suffix), got \(number)")
        }
        return number
    }

    /// `true` or `false` (YAML's spelling; also yes/no, on/off).
    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let text = try optionalString(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, got \"\(text)\"")
        }
    }

    /// A duration written in seconds (decimals allowed, e.g. 0.2), returned in whole
    /// milliseconds; 0 means off and is always accepted.
    public func milliseconds(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let text = try optionalString(key) else { return defaultValue }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else {
            throw error(key, "expected a number of seconds, got \"\(text)\"")
        }
        let milliseconds = Int((seconds * 1000).rounded())
        guard milliseconds == 0 || range.contains(milliseconds) else {
            throw error(
                key,
                "must be 0 (off) or between \(Double(range.lowerBound) / 1000) and \(Double(range.upperBound) / 1000) seconds, got \(text)"
            )
        }
        return milliseconds
    }

    /// A mapping of label names to texts; absent or null is empty. Names are 1 to 63 of
    /// `[A-Za-z0-9._-]` (and `/` after the first), values 0 to 63 of `[A-Za-z0-9._-]`, as
    /// Kubernetes labels: they reach the platform and its selectors, never a shell.
    public func labels(_ key: String) throws(ConfigError) -> [String: String] {
        guard let value = try resolved(key) else { return [:] }
        guard case .mapping(let pairs) = value else { throw error(key, "expected a mapping of names to values, got a \(value.kindName)") }
        guard pairs.count <= 64 else { throw error(key, "has \(pairs.count) labels; at most 64") }
        var labels: [String: String] = [:]
        for (name, item) in pairs {
            guard case .scalar(let text) = item else { throw error(key, "\(name.prefix(63)): expected a single value, got a \(item.kindName)") }
            guard Self.isLabelName(name) else {
                throw error(key, "'\(name.prefix(63))' is not a label name (1 to 63 of letters, digits, '.', '_', '-', '/')")
            }
            guard text.count <= 63, text.unicodeScalars.allSatisfy(Self.isLabelValueScalar) else {
                throw error(key, "\(name): '\(text.prefix(63))' is not a label value (0 to 63 of letters, digits, '.', '_', '-')")
            }
            labels[name] = text
        }
        return labels
    }

    static func isLabelName(_ name: String) -> Bool {
        (1...63).contains(name.count) && name.first != "/" && name.unicodeScalars.allSatisfy { isLabelValueScalar($0) || $0 == "/" }
    }

    static func isLabelValueScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
    }

    public func absolutePath(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        try checkedAbsolutePath(key, try string(key, default: defaultValue))
    }

    public func optionalAbsolutePath(_ key: String) throws(ConfigError) -> String? {
        guard let path = try optionalString(key) else { return nil }
        return try checkedAbsolutePath(key, path)
    }

    private func checkedAbsolutePath(_ key: String, _ path: String) throws(ConfigError) -> String {
        guard path.hasPrefix("/") else {
            throw error(key, "must be an absolute path, got \"\(path)\"")
        }
        guard !path.contains("\0") else { throw error(key, "must not contain NUL bytes") }
        return path
    }

    public func section(_ key: String) throws(ConfigError) -> ConfigSection {
        let value = try resolved(key) ?? .null
        return try ConfigSection(file: file, value: value, environment: environment, path: fullKey(key))
    }

    /// Keys present in the file that no definition names, then those inside its
    /// mappings: reported as warnings, since a typo such as `submit-chunk-sise` would
    /// otherwise be silently ignored.
    public func unknownKeys(definitions: [SettingDefinition]) throws(ConfigError) -> [String] {
        let known = Set(definitions.map(\.key))
        var unknown = keys.filter { !known.contains($0) }.map(fullKey)
        for definition in definitions {
            guard case .mapping(let nested) = definition.type else { continue }
            unknown += try section(definition.key).unknownKeys(definitions: nested)
        }
        return unknown
    }
}

extension ConfigValue {
    var kindName: String {
        switch self {
        case .null: return "null"
        case .scalar: return "value"
        case .sequence: return "list"
        case .mapping: return "mapping"
        }
    }
}
