import PlatformWire

/// A key's typed handle: `init(section:)` reads the key through it, and its `definition`
/// is the key's row in the table. A key's default and bounds are written once, in the
/// factory call below that makes its handle; the reader, the row and `defaultValue` all
/// take them from there.
public protocol DefinesSetting: Sendable {
    var definition: SettingDefinition { get }
}

extension DefinesSetting {
    public var key: String { definition.key }
}

/// A key with a default: an absent key reads as `defaultValue`.
public struct Setting<Value: Sendable>: DefinesSetting {
    public let definition: SettingDefinition
    public let defaultValue: Value
    fileprivate let read: @Sendable (ConfigSection) throws(ConfigError) -> Value
}

/// A text key without a default: start-up stops when it is absent or empty.
public struct RequiredSetting: DefinesSetting {
    public let definition: SettingDefinition

    init(_ key: String, secret: Bool = false, _ summary: String) {
        self.definition = SettingDefinition(key: key, type: .text, defaultText: nil, isRequired: true, isSecret: secret, summary: summary)
    }
}

/// A key holding a mapping of keys of its own (`database: {database: ..., poolsize: ...}`).
public struct MappingSetting: DefinesSetting {
    public let definition: SettingDefinition

    init(_ key: String, keys: some SettingTable, _ summary: String) {
        self.definition = SettingDefinition(key: key, type: .mapping(keys.all), defaultText: nil, summary: summary)
    }
}

extension Setting where Value == String? {
    /// Text that may be left out (or empty): nil then.
    static func optionalText(_ key: String, secret: Bool = false, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .text, defaultText: nil, isSecret: secret, summary: summary), defaultValue: nil) {
            (section) throws(ConfigError) in try section.optionalString(key)
        }
    }

    /// An absolute path that may be left out (or empty): nil then.
    static func optionalAbsolutePath(_ key: String, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .absolutePath, defaultText: nil, summary: summary), defaultValue: nil) {
            (section) throws(ConfigError) in try section.optionalAbsolutePath(key)
        }
    }
}

extension Setting where Value == String {
    static func text(_ key: String, default defaultValue: String, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .text, defaultText: defaultValue, summary: summary), defaultValue: defaultValue) {
            (section) throws(ConfigError) in try section.string(key, default: defaultValue)
        }
    }

    static func absolutePath(_ key: String, default defaultValue: String, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .absolutePath, defaultText: defaultValue, summary: summary), defaultValue: defaultValue) {
            (section) throws(ConfigError) in try section.absolutePath(key, default: defaultValue)
        }
    }
}

extension Setting where Value == Int {
    /// `unit` is named in the out-of-range error ("must be between 1 and 60 seconds").
    static func wholeNumber(_ key: String, default defaultValue: Int, range: ClosedRange<Int>, unit: String = "", _ summary: String) -> Self {
        let definition = SettingDefinition(key: key, type: .wholeNumber(range: range, unit: unit), defaultText: "\(defaultValue)", summary: summary)
        return Self(definition: definition, defaultValue: defaultValue) {
            (section) throws(ConfigError) in try section.int(key, default: defaultValue, range: range, unit: unit)
        }
    }

    /// A duration the file writes in seconds, read (and bounded) in milliseconds; 0 is off.
    static func secondsInMilliseconds(_ key: String, default defaultValue: Int, range: ClosedRange<Int>, _ summary: String) -> Self {
        let definition = SettingDefinition(
            key: key,
            type: .seconds(milliseconds: range),
            defaultText: SettingDefinition.writtenSeconds(defaultValue),
            summary: summary
        )
        return Self(definition: definition, defaultValue: defaultValue) {
            (section) throws(ConfigError) in try section.milliseconds(key, default: defaultValue, range: range)
        }
    }
}

extension Setting where Value == [String: String] {
    /// Names the operator chooses, each to a text: `Labels`' rules, checked at start.
    static func labels(_ key: String, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .labels, defaultText: nil, summary: summary), defaultValue: [:]) {
            (section) throws(ConfigError) in try section.labels(key)
        }
    }
}

extension Setting where Value == ControlMode {
    static func control(_ key: String, default defaultValue: ControlMode, _ summary: String) -> Self {
        let words = ControlMode.allCases.map(\.rawValue)
        return Self(
            definition: SettingDefinition(key: key, type: .choice(words), defaultText: defaultValue.rawValue, summary: summary),
            defaultValue: defaultValue
        ) { (section) throws(ConfigError) in
            let text = try section.string(key, default: defaultValue.rawValue)
            guard let mode = ControlMode(rawValue: text) else {
                throw section.error(key, "must be one of \(words.joined(separator: ", ")), got \"\(text.prefix(64))\"")
            }
            return mode
        }
    }
}

extension Setting where Value == Bool {
    static func flag(_ key: String, default defaultValue: Bool, _ summary: String) -> Self {
        Self(definition: SettingDefinition(key: key, type: .flag, defaultText: "\(defaultValue)", summary: summary), defaultValue: defaultValue) {
            (section) throws(ConfigError) in try section.bool(key, default: defaultValue)
        }
    }
}

extension ConfigSection {
    func read<Value>(_ setting: Setting<Value>) throws(ConfigError) -> Value {
        try setting.read(self)
    }

    func read(_ setting: RequiredSetting) throws(ConfigError) -> String {
        try string(setting.key)
    }

    func read(_ setting: MappingSetting) throws(ConfigError) -> ConfigSection {
        try section(setting.key)
    }

    /// An error about a key that has a handle, so that its name comes from the table.
    func error(_ setting: some DefinesSetting, _ problem: String) -> ConfigError {
        error(setting.key, problem)
    }
}
