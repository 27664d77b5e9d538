import EndpointConfig
import Testing

/// The shipped files are the operator's documentation of every key, and the tables
/// (`LambdaSettings.definitions` and the others) are where each key's default and bounds
/// are written: the two must not drift apart.
@Suite("The shipped settings files document the setting tables")
struct SettingsDocumentationTests {
    static let files: [String: [SettingDefinition]] = [
        EndpointConfiguration.serverFileName: ServerSettings.fileDefinitions,
        EndpointConfiguration.lambdaFileName: LambdaSettings.fileDefinitions,
    ]

    /// Every row with its full key, the rows of a mapping after the mapping's own.
    static func rows(_ definitions: [SettingDefinition], in mapping: String? = nil) -> [(fullKey: String, definition: SettingDefinition)] {
        definitions.flatMap { definition in
            let fullKey = mapping.map { "\($0).\(definition.key)" } ?? definition.key
            guard case .mapping(let nested) = definition.type else { return [(fullKey, definition)] }
            return [(fullKey, definition)] + rows(nested, in: fullKey)
        }
    }

    /// What is wrong with how `file` documents one row; empty when nothing is.
    static func problems(of definition: SettingDefinition, at fullKey: String, in file: DocumentedSettingsFile) -> [String] {
        guard let entry = file.entries[fullKey] else {
            return ["is in the table but in the file neither as `\(definition.key):` nor `# \(definition.key):`"]
        }
        guard !entry.comment.isEmpty else { return ["has no comment saying what it is"] }
        var problems: [String] = []
        if let defaultText = definition.defaultText, !entry.comment.mentions(defaultText) {
            problems.append("its comment does not mention its default \(defaultText)")
        }
        if let bounds = definition.bounds, !entry.comment.mentions(bounds) {
            problems.append("its comment does not give its bounds \(bounds)")
        }
        if definition.isRequired, !entry.comment.lowercased().contains("required") {
            problems.append("its comment does not say it is required")
        }
        if definition.isSecret, !entry.comment.lowercased().contains("secret") {
            problems.append("its comment does not say it is a secret")
        }
        if !entry.isCommentedOut, !definition.isRequired, let shipped = file.shippedValue(of: fullKey), shipped != definition.defaultText ?? "" {
            problems.append("the file sets \"\(shipped)\" but the default is \(definition.defaultText.map { "\"\($0)\"" } ?? "unset")")
        }
        return problems
    }

    @Test("Each key of the table stands in the file with a comment giving its default and bounds, set to its default", arguments: files.keys.sorted())
    func everyKeyDocumented(fileName: String) throws {
        let file = try DocumentedSettingsFile(path: ConfigTests.repositoryConfig + "/" + fileName)
        let problems = Self.rows(try #require(Self.files[fileName])).flatMap { row in
            Self.problems(of: row.definition, at: row.fullKey, in: file).map { "key '\(row.fullKey)': \($0)" }
        }
        #expect(problems.isEmpty, "\(fileName):\n\(problems.joined(separator: "\n"))")
    }

    @Test("The file sets no key that the table does not know", arguments: files.keys.sorted())
    func noUnknownKey(fileName: String) throws {
        let file = try DocumentedSettingsFile(path: ConfigTests.repositoryConfig + "/" + fileName)
        let section = try ConfigSection(file: fileName, value: file.value, environment: [:])
        let unknown = try section.unknownKeys(definitions: try #require(Self.files[fileName]))
        #expect(unknown == [])
    }
}
