import Foundation

/// Both configuration files of a config directory, read and checked.
public struct EndpointConfiguration: Sendable {
    public static let serverFileName = "settings.yml"
    public static let lambdaFileName = "lambda-settings.yml"

    public var server: ServerSettings
    public var lambda: LambdaSettings
    /// Things worth a log line that do not stop start-up (unknown keys, the example secret).
    public var warnings: [String]

    public init(server: ServerSettings, lambda: LambdaSettings, warnings: [String] = []) {
        self.server = server
        self.lambda = lambda
        self.warnings = warnings
    }

    /// The secret shipped in `Config/lambda-settings.yml` for a first local run.
    public static let exampleSecret = "example-secret-change-me"

    public static func load(
        directory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> EndpointConfiguration {
        let directoryURL = URL(fileURLWithPath: directory).standardizedFileURL
        let serverFile = directoryURL.appendingPathComponent(serverFileName).path
        let lambdaFile = directoryURL.appendingPathComponent(lambdaFileName).path

        let serverSection = try ConfigSection(file: serverFile, value: try readYAML(serverFile), environment: environment)
        let server = try ServerSettings(section: serverSection, configDirectory: directoryURL.path)
        let lambdaSection = try ConfigSection(file: lambdaFile, value: try readYAML(lambdaFile), environment: environment)
        let lambda = try LambdaSettings(section: lambdaSection)

        var warnings: [String] = []
        for key in try serverSection.unknownKeys(definitions: ServerSettings.fileDefinitions) {
            warnings.append("\(serverFile): unknown key '\(key)' is ignored")
        }
        for key in try lambdaSection.unknownKeys(definitions: LambdaSettings.fileDefinitions) {
            warnings.append("\(lambdaFile): unknown key '\(key)' is ignored")
        }
        if lambda.secret == exampleSecret {
            warnings.append("\(lambdaFile): key 'secret' is still the shipped example; set your own before this endpoint leaves a test machine")
        }
        return EndpointConfiguration(server: server, lambda: lambda, warnings: warnings)
    }

    static func readYAML(_ path: String) throws(ConfigError) -> ConfigValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            let problem = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigError(file: path, key: nil, problem: problem)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, key: nil, problem: "is not UTF-8 text")
        }
        let value = try ConfigValue.parse(yaml: text, file: path)
        guard case .mapping = value else {
            if value == .null { return .mapping([]) }
            throw ConfigError(file: path, key: nil, problem: "must be a YAML mapping of keys to values")
        }
        return value
    }
}
