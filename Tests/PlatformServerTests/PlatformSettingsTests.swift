import Foundation
import PlatformServer
import Testing

@Suite("platform.yml: the shipped file, and one line naming the key for a bad one")
struct PlatformSettingsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("The shipped Config/platform.yml parses to the documented defaults, and names every key the loader reads")
    func shipped() throws {
        let text = try String(contentsOfFile: Self.repository + "/Config/platform.yml", encoding: .utf8)
        let settings = try PlatformSettings.parse(text)
        #expect(settings.port == 3001 && settings.host == "127.0.0.1" && settings.database == "platform.sqlite")
        #expect(settings.retentionDays == 7 && settings.retentionBytes == 10_737_418_240 && settings.retentionSweepSeconds == 60)
        #expect(settings.tokenHours == 12 && settings.maxPollWait == 26)
        #expect(settings.otlpEndpoint == nil && settings.otlpBatchRecords == 512 && settings.otlpMaxQueuedRecords == 100_000)
        #expect(settings.endpoints.map(\.uuid) == ["4633d686-f75d-4d1f-8415-02ce37d9e5f8"])
        let loader = try String(contentsOfFile: Self.repository + "/Sources/PlatformServer/Config/PlatformSettings+Loading.swift", encoding: .utf8)
        let keys = loader.matches(of: /case "([a-z-]+)": settings\./).map { String($0.1) }
        #expect(keys.count >= 15)
        for key in keys {
            #expect(text.contains("\n\(key):") || text.contains("\n# \(key):"), "\(key) is not documented in Config/platform.yml")
        }
    }

    @Test(
        "A bad value stops start-up with one line naming the key",
        arguments: [
            ("port: 70000\nfleet-secret: s\n", "port: 70000 is out of range"),
            ("retention-days: many\nfleet-secret: s\n", "retention-days: expected a whole number"),
            ("colour: blue\nfleet-secret: s\n", "colour: not a setting of lambda-platform"),
            ("tls-key: /k\nfleet-secret: s\n", "tls-certificate and tls-key: give both or neither"),
            ("port: 3001\n", "endpoints or fleet-secret"),
            ("endpoints:\n  not-a-uuid: {secret: s}\n", "endpoints: not-a-uuid is not a uuid"),
            (
                "endpoints:\n  4633d686-f75d-4d1f-8415-02ce37d9e5f8: {url: \"http://h:1\"}\n",
                "endpoints.4633d686-f75d-4d1f-8415-02ce37d9e5f8.secret: missing"
            ),
            ("max-poll-wait: 27\nfleet-secret: s\n", "max-poll-wait: 27.0 is out of range"),
            ("otlp-endpoint: ftp://collector\nfleet-secret: s\n", "otlp-endpoint: expected http(s)://host[:port][/path]"),
            ("otlp-max-queued-records: 5\nfleet-secret: s\n", "otlp-max-queued-records: 5 is out of range"),
        ]
    )
    func refusals(text: String, expected: String) {
        #expect {
            _ = try PlatformSettings.parse(text)
        } throws: { error in
            let line = "\(error)"
            return line.contains(expected) && !line.contains("\n")
        }
    }

    @Test("A platform.yml its group or others may read is refused, naming the fix")
    func mode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-yml-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(
            atPath: directory + "/platform.yml",
            contents: Data("fleet-secret: s\n".utf8),
            attributes: [.posixPermissions: 0o644]
        )
        #expect {
            _ = try PlatformSettings.load(directory: directory)
        } throws: { "\($0)".contains("chmod 600") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/platform.yml")
        #expect(try PlatformSettings.load(directory: directory).fleetSecret == "s")
    }
}
