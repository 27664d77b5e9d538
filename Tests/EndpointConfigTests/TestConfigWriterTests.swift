import EndpointTestSupport
import Foundation
import Testing

/// The test configuration's defaults are one file (`Tests/Fixtures/test-config.json`)
/// with two writers: `TestConfigDirectory` for the Swift tests and
/// `scripts/test-config.py` for check-openapi and the bench. They must write the same.
@Suite("Test configuration writers")
struct TestConfigWriterTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-config.py").path

    /// What the script writes for the same overrides (with the Swift tests' identity,
    /// which it would otherwise pick at random). The overrides go in as JSON on stdin.
    func scriptWrites(_ overrides: String, into directory: String) throws {
        let input = directory + ".json"
        try overrides.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let python = try SpawnedProcess(
            executable: "/bin/sh",
            arguments: ["-c", "python3 -S \"$0\" \"$1\" --stdin-json < \"$2\"", Self.script, directory, input]
        )
        #expect(python.waitForExit(timeout: 30) == 0, "\(python.standardError)")
    }

    @Test("TestConfigDirectory and scripts/test-config.py write the same files for the same overrides")
    func writersAgree() throws {
        let identity = #""secret": "\"\#(TestConfigDirectory.secret)\"", "endpoint-uuid": "\#(TestConfigDirectory.endpointUUID)""#
        let cases: [(settings: [String: String?], lambda: [String: String?], databaseSection: String?, json: String)] = [
            ([:], [:], nil, #"{"lambda": {\#(identity)}}"#),
            // Replaced, removed and added keys (two added to each file: their order counts).
            (
                ["port": "5", "tls-key": "/x", "tls-certificate": "/y", "host": nil],
                ["root-password": "'pw'", "max-lasting": "3", "log-level": "debug", "bpf-path": nil],
                "  database: /x/y.sqlite3\n",
                #"{"settings": {"port": "5", "tls-key": "/x", "tls-certificate": "/y", "host": null}, "lambda": {\#(identity), "root-password": "'pw'", "max-lasting": "3", "log-level": "debug", "bpf-path": null}, "databaseSection": "  database: /x/y.sqlite3\n"}"#
            ),
        ]
        for written in cases {
            let swift = try TestConfigDirectory(settings: written.settings, lambda: written.lambda, databaseSection: written.databaseSection)
            defer { swift.remove() }
            let scripted = swift.path + "-script"
            defer { try? FileManager.default.removeItem(atPath: scripted) }
            try scriptWrites(written.json, into: scripted)
            #expect(
                try String(contentsOfFile: scripted + "/settings.yml", encoding: .utf8) == String(contentsOfFile: swift.settingsFile, encoding: .utf8)
            )
            // The same but for where its trace directory is.
            let lambda = try String(contentsOfFile: scripted + "/lambda-settings.yml", encoding: .utf8)
            #expect(
                lambda.replacingOccurrences(of: scripted + "/traces", with: swift.path + "/traces")
                    == (try String(contentsOfFile: swift.lambdaSettingsFile, encoding: .utf8))
            )
            let mode = try FileManager.default.attributesOfItem(atPath: scripted + "/lambda-settings.yml")[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(FileManager.default.fileExists(atPath: scripted + "/traces"))
        }
    }
}
