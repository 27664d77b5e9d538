import Foundation

/// A throw-away config directory with both settings files, for tests that need a
/// real one on disk. Each key can be overridden or removed; the directory also holds
/// the SQLite file and a trace directory.
public struct TestConfigDirectory: Sendable {
    public static let endpointUUID = "4633d686-f75d-4d1f-8415-02ce37d9e5f8"
    public static let secret = "test-secret-for-vectors"

    public let path: String

    public var settingsFile: String { path + "/settings.yml" }
    public var lambdaSettingsFile: String { path + "/lambda-settings.yml" }
    public var databaseFile: String { path + "/lambda.sqlite3" }

    /// Default lines of `settings.yml`, in order; nil values drop the key.
    public static func defaultSettings(port: Int = 0) -> [(String, String?)] {
        [("host", "127.0.0.1"), ("port", "\(port)"), ("database", "")]
    }

    public static func defaultLambdaSettings(traceDirectory: String) -> [(String, String?)] {
        [
            ("root-password", "\"\""),
            ("bpf-path", "/usr/bin/bpftrace"),
            ("stap-path", "/usr/bin/stap"),
            ("submit-chunk-size", "51200"),
            ("platform-url", "http://127.0.0.1:9"),
            ("secret", "\"\(secret)\""),
            ("endpoint-uuid", endpointUUID),
            ("trace-dir", traceDirectory),
        ]
    }

    /// Creates the directory. `settings` and `lambda` replace (or with nil, remove)
    /// keys of the defaults; `rawSettings`/`rawLambda` replace a whole file's text.
    public init(
        settings: [String: String?] = [:],
        lambda: [String: String?] = [:],
        rawSettings: String? = nil,
        rawLambda: String? = nil,
        databaseSection: String = "  database: lambda.sqlite3\n  poolsize: 4\n"
    ) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lambda-endpoint-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/traces", withIntermediateDirectories: true)
        self.path = path
        let settingsText = rawSettings ?? Self.render(Self.defaultSettings(), overrides: settings, databaseSection: databaseSection)
        let lambdaText = rawLambda ?? Self.render(Self.defaultLambdaSettings(traceDirectory: path + "/traces"), overrides: lambda, databaseSection: nil)
        try settingsText.write(toFile: settingsFile, atomically: true, encoding: .utf8)
        try lambdaText.write(toFile: lambdaSettingsFile, atomically: true, encoding: .utf8)
        // As an operator must keep it: `serve` refuses a settings file others can read.
        chmod(lambdaSettingsFile, 0o600)
    }

    static func render(_ defaults: [(String, String?)], overrides: [String: String?], databaseSection: String?) -> String {
        var text = ""
        var seen = Set<String>()
        for (key, value) in defaults {
            seen.insert(key)
            let chosen = overrides[key] ?? value
            guard let chosen else { continue }
            if key == "database", overrides[key] == nil, let databaseSection {
                text += "database:\n" + databaseSection
            } else {
                text += "\(key): \(chosen)\n"
            }
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !seen.contains(key) {
            if let value { text += "\(key): \(value)\n" }
        }
        return text
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
