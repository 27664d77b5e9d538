/// A struct whose stored properties are the handles of the keys of one YAML mapping:
/// the table in which each of those keys is defined.
public protocol SettingTable: Sendable {}

extension SettingTable {
    /// The table's rows, in declaration order. Found by reflection so that declaring a
    /// handle is all a new key takes: a key that `init(section:)` reads cannot then be
    /// missing from the unknown-key check, nor from the documentation test.
    public var all: [SettingDefinition] {
        Mirror(reflecting: self).children.compactMap { ($0.value as? any DefinesSetting)?.definition }
    }
}
