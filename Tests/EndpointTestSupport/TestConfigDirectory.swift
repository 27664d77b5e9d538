import Foundation

/// A throw-away config directory with both settings files, for tests that need a
/// real one on disk. Each key can be overridden or removed; the directory also holds
/// the SQLite file and a trace directory.
///
/// The defaults are not here but in `Tests/Fixtures/test-config.json`, which
/// `scripts/test-config.py` (for `scripts/check-openapi.sh` and `Bench/bench.py`) reads
/// too: what a test configuration holds is written once. Each side only renders it.
/// Swift does not run the script instead: a python3 start per directory (about 0.13 s
/// here) added 30 s to a serial `make test` over the ~240 directories the suites make,
/// and its wait, blocking a concurrency thread, starved timing tests in parallel runs.
public struct TestConfigDirectory: Sendable {
    /// The identity the tests' precomputed Authorization values were made for; the
    /// defaults leave it to each writer (the script picks a random one).
    public static let endpointUUID = "4633d686-f75d-4d1f-8415-02ce37d9e5f8"
    public static let secret = "test-secret-for-vectors"

    public let path: String

    public var settingsFile: String { path + "/settings.yml" }
    public var lambdaSettingsFile: String { path + "/lambda-settings.yml" }
    public var databaseFile: String { path + "/lambda.sqlite3" }

    /// `Tests/Fixtures/test-config.json`: each file's default lines in order (a nil value
    /// is filled per directory) and the `database` section.
    struct Defaults: Decodable {
        struct Line: Decodable {
            let key: String
            let value: String?
        }

        let settings: [Line]
        let lambda: [Line]
        let database: String

        enum CodingKeys: String, CodingKey {
            case settings = "settings.yml"
            case lambda = "lambda-settings.yml"
            case database
        }
    }

    static let defaultsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/test-config.json").path

    static let defaults: Defaults = {
        do {
            return try JSONDecoder().decode(Defaults.self, from: Data(contentsOf: URL(fileURLWithPath: defaultsFile)))
        } catch {
            fatalError("cannot read the test configuration's defaults \(defaultsFile): \(error)")
        }
    }()

    /// Creates the directory. `settings` and `lambda` replace (or with nil, remove)
    /// keys of the defaults; `rawSettings`/`rawLambda` replace a whole file's text.
    public init(
        settings: [String: String?] = [:],
        lambda: [String: String?] = [:],
        rawSettings: String? = nil,
        rawLambda: String? = nil,
        databaseSection: String? = nil
    ) throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lambda-endpoint-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/traces", withIntermediateDirectories: true)
        self.path = path
        let defaults = Self.defaults
        var section = databaseSection ?? defaults.database
        while section.hasSuffix("\n") { section.removeLast() }
        let settingsLines = Self.fill(defaults.settings, with: ["database": "\n" + section])
        let lambdaLines = Self.fill(
            defaults.lambda,
            with: [
                "trace-dir": path + "/traces", "secret": "\"\(Self.secret)\"", "endpoint-uuid": Self.endpointUUID,
            ]
        )
        try (rawSettings ?? Self.render(settingsLines, overrides: settings)).write(toFile: settingsFile, atomically: true, encoding: .utf8)
        try (rawLambda ?? Self.render(lambdaLines, overrides: lambda)).write(toFile: lambdaSettingsFile, atomically: true, encoding: .utf8)
        // As an operator must keep it: `serve` refuses a settings file others can read.
        chmod(lambdaSettingsFile, 0o600)
    }

    /// `lines` with each nil value taken from `values`.
    static func fill(_ lines: [Defaults.Line], with values: [String: String]) -> [(String, String?)] {
        lines.map { line in (line.key, line.value ?? values[line.key]) }
    }

    /// Default lines in order with the overrides applied (nil removes a key), then the
    /// keys only the overrides name, sorted; a value starting with a newline is a section.
    /// The same rules as `render` in scripts/test-config.py.
    static func render(_ defaults: [(String, String?)], overrides: [String: String?]) -> String {
        var text = ""
        for (key, value) in defaults {
            guard let chosen = overrides[key] ?? value else { continue }
            text += chosen.hasPrefix("\n") ? "\(key):\(chosen)\n" : "\(key): \(chosen)\n"
        }
        let known = Set(defaults.map(\.0))
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !known.contains(key) {
            if let value { text += "\(key): \(value)\n" }
        }
        return text
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
