import EndpointTestSupport
import Foundation
import Testing

/// `scripts/install.sh` (what `make install` runs after the release build) into a
/// staging directory, and the shipped sudoers example through `visudo`.
@Suite("Packaging: make install and the sudoers example")
struct PackagingTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    func run(_ executable: String, _ arguments: [String]) throws -> Int32? {
        let process = try SpawnedProcess(executable: executable, arguments: arguments)
        return process.waitForExit(timeout: 60)
    }

    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test("install lays out binaries, unit, config (secret file 0600, state paths) and never overwrites config")
    func installLayout() throws {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-install-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let binaries = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().path
        let install = [Self.repositoryRoot + "/scripts/install.sh", "--bin", binaries, "--prefix", "/opt/lambda", "--destdir", staging]
        #expect(try run("/bin/bash", install) == 0)

        #expect(mode(staging + "/opt/lambda/bin/lambda-endpoint") == 0o755)
        #expect(mode(staging + "/opt/lambda/bin/lambda-platform") == 0o755)
        #expect(mode(staging + "/etc/lambda-endpoint/lambda-settings.yml") == 0o600)
        #expect(mode(staging + "/opt/lambda/share/lambda-endpoint/sudoers.example") == 0o644)
        #expect(!FileManager.default.fileExists(atPath: staging + "/etc/sudoers.d"), "a root-equivalent rule is never installed by itself")

        let unit = try String(contentsOfFile: staging + "/opt/lambda/lib/systemd/system/lambda-endpoint.service", encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map(String.init))
        for expected in [
            "ExecStart=/opt/lambda/bin/lambda-endpoint serve --config /etc/lambda-endpoint", "User=lambda", "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/lambda-endpoint", "PrivateTmp=yes", "KillMode=mixed",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(!lines.contains("NoNewPrivileges=yes"), "sudo cannot work under NoNewPrivileges")
        #expect(!unit.contains("@PREFIX@"))

        let lambda = try String(contentsOfFile: staging + "/etc/lambda-endpoint/lambda-settings.yml", encoding: .utf8)
        #expect(lambda.contains("\ntrace-dir: /var/lib/lambda-endpoint/traces\n"))
        let settings = try String(contentsOfFile: staging + "/etc/lambda-endpoint/settings.yml", encoding: .utf8)
        #expect(settings.contains(#"database: "_env:LAMBDA_DATABASE:/var/lib/lambda-endpoint/lambda.sqlite3""#))

        // An operator's edit survives a second install.
        try "secret: mine\n".write(toFile: staging + "/etc/lambda-endpoint/lambda-settings.yml", atomically: false, encoding: .utf8)
        #expect(try run("/bin/bash", install) == 0)
        #expect(try String(contentsOfFile: staging + "/etc/lambda-endpoint/lambda-settings.yml", encoding: .utf8) == "secret: mine\n")
    }

    @Test("The sudoers example parses with visudo; a broken copy does not")
    func sudoersExample() throws {
        let example = Self.repositoryRoot + "/packaging/sudoers.lambda-endpoint"
        #expect(try run("/usr/sbin/visudo", ["-cf", example]) == 0)
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("sudoers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try (String(contentsOfFile: example, encoding: .utf8) + "lambda ALL=(root NOPASSWD\n").write(
            toFile: broken,
            atomically: false,
            encoding: .utf8
        )
        #expect(try run("/usr/sbin/visudo", ["-cf", broken]) != 0)
    }
}
