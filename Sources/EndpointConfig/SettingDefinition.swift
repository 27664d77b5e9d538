/// One key of a settings file as an operator sees it: its name, what it holds, its
/// default and the values it accepts, and a line saying what it is for.
///
/// Rows are not written by hand: each comes from the factory call that makes a key's
/// typed handle (`Setting`, `RequiredSetting`, `MappingSetting`), the one place where the
/// key's default and bounds are written. The unknown-key warnings and the test that holds
/// the shipped YAML files to their tables read these rows.
public struct SettingDefinition: Sendable {
    public let key: String
    public let type: SettingType
    /// The value an absent key reads as, written the way the file writes it; nil when an
    /// absent key means unset, or is an error (`isRequired`).
    public let defaultText: String?
    public let isRequired: Bool
    /// A secret is never logged, nor quoted in an error (the text readers quote no value).
    public let isSecret: Bool
    public let summary: String

    init(key: String, type: SettingType, defaultText: String?, isRequired: Bool = false, isSecret: Bool = false, summary: String) {
        self.key = key
        self.type = type
        self.defaultText = defaultText
        self.isRequired = isRequired
        self.isSecret = isSecret
        self.summary = summary
    }

    /// The accepted values worded as the files' comments word them ("1 to 1000",
    /// "0.05 to 3600"); nil when the type alone says what is accepted.
    public var bounds: String? {
        switch type {
        case .wholeNumber(let range, _): "\(range.lowerBound) to \(range.upperBound)"
        case .seconds(let milliseconds): "\(Self.writtenSeconds(milliseconds.lowerBound)) to \(Self.writtenSeconds(milliseconds.upperBound))"
        case .text, .absolutePath, .flag, .mapping, .labels, .choice: nil
        }
    }

    /// Milliseconds as a file writes them: whole seconds without a decimal point.
    static func writtenSeconds(_ milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : "\(Double(milliseconds) / 1000)"
    }
}

/// What a key's value must look like.
public enum SettingType: Sendable {
    case text
    case absolutePath
    case wholeNumber(range: ClosedRange<Int>, unit: String)
    /// Written in seconds (decimals allowed), read in milliseconds; 0 (off) is always accepted.
    case seconds(milliseconds: ClosedRange<Int>)
    case flag
    /// A nested mapping holding these keys.
    case mapping([SettingDefinition])
    /// A mapping of names the operator chooses to texts (`labels: {role: db}`).
    case labels
    /// One of these words.
    case choice([String])
}
