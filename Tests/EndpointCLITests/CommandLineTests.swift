import EndpointTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the built `lambda-endpoint` exactly as an operator (and the checks outside the
/// repository) do: `lambda-endpoint serve --config DIR`.
@Suite("lambda-endpoint command line", .serialized)
struct CommandLineTests {
    static var binary: String {
        // The test bundle sits next to the package's built products.
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("lambda-endpoint").path
    }

    func run(_ arguments: [String], timeout: Double = 20) throws -> (code: Int32?, output: String, error: String) {
        let process = try SpawnedProcess(executable: Self.binary, arguments: arguments)
        let code = process.waitForExit(timeout: timeout)
        return (code, process.standardOutput, process.standardError)
    }

    @Test("--help is available on every command; the subcommands name --config")
    func help() throws {
        for arguments in [["serve", "--help"], ["auth-header", "--help"], ["doctor", "--help"], ["analyses", "--help"]] {
            let result = try run(arguments)
            #expect(result.code == 0)
            #expect(result.output.contains("--config <config>"), "\(arguments)")
        }
        let top = try run(["--help"])
        #expect(top.code == 0)
        #expect(top.output.contains("serve") && top.output.contains("auth-header"))
    }

    @Test("analyses prints the catalogue for a person: a table of name, availability and description, then why not")
    func analysesTable() throws {
        let tracefs = FileManager.default.temporaryDirectory.appendingPathComponent("tracefs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tracefs) }
        // Every tracepoint but the one tcp needs.
        for tracepoint in [
            "raw_syscalls/sys_enter", "sched/sched_process_exec", "syscalls/sys_enter_openat", "syscalls/sys_exit_openat",
            "block/block_rq_issue", "block/block_rq_complete", "sched/sched_switch",
        ] {
            try FileManager.default.createDirectory(atPath: "\(tracefs)/events/\(tracepoint)", withIntermediateDirectories: true)
        }
        let directory = try TestConfigDirectory(lambda: ["tracefs-path": tracefs])
        defer { directory.remove() }
        let result = try run(["analyses", "--config", directory.path])
        #expect(result.code == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "NAME              AVAILABLE  DESCRIPTION")
        #expect(lines.contains("syscalls          yes        System calls counted by process and system call, printed every interval."))
        #expect(lines.contains("tcp               no         TCP state changes: addresses, ports, old and new state."))
        #expect(lines.contains("function-latency  yes        Latency histogram of one function of a binary, printed every interval."))
        #expect(
            lines.contains(
                "tcp is not available: this kernel has no tracepoint sock:inet_sock_set_state (no \(tracefs)/events/sock/inet_sock_set_state)"
            )
        )
        #expect(result.error.isEmpty)

        let broken = try TestConfigDirectory(lambda: ["tracefs-path": "relative/path"])
        defer { broken.remove() }
        let refused = try run(["analyses", "--config", broken.path])
        #expect(refused.code == 1)
        #expect(refused.error.hasPrefix("lambda-endpoint: \(broken.lambdaSettingsFile): key 'tracefs-path': "), "\(refused.error)")
    }

    @Test("A bad configuration stops serve with exit 1 and one line naming file and key, never the secret")
    func badConfiguration() throws {
        let cases: [(settings: [String: String?], lambda: [String: String?], file: String, expected: String)] = [
            ([:], ["secret": nil], "lambda-settings.yml", "key 'secret': is required and missing or empty"),
            (
                [:], ["submit-chunk-size": "tiny", "secret": "'TOPSECRET'"], "lambda-settings.yml",
                "key 'submit-chunk-size': expected a whole number, got \"tiny\""
            ),
            (
                [:], ["endpoint-uuid": "nope", "secret": "'TOPSECRET'"], "lambda-settings.yml",
                "key 'endpoint-uuid': expected a UUID such as 4633d686-f75d-4d1f-8415-02ce37d9e5f8, got \"nope\""
            ),
            (["port": "99999"], ["secret": "'TOPSECRET'"], "settings.yml", "key 'port': must be between 0 and 65535, got 99999"),
        ]
        for bad in cases {
            let directory = try TestConfigDirectory(settings: bad.settings, lambda: bad.lambda)
            defer { directory.remove() }
            let result = try run(["serve", "--config", directory.path])
            #expect(result.code == 1)
            #expect(result.error == "lambda-endpoint: \(directory.path)/\(bad.file): \(bad.expected)\n")
            #expect(!result.error.contains("TOPSECRET") && !result.output.contains("TOPSECRET"))
        }
    }

    @Test("serve refuses a group-writable settings.yml and a world-writable database, one line each, and starts nothing")
    func writableServerFiles() throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        chmod(directory.settingsFile, 0o664)
        let settings = try run(["serve", "--config", directory.path])
        #expect(settings.code == 1)
        #expect(
            settings.error
                == "lambda-endpoint: \(directory.settingsFile) is writable by its group (mode 0664); it chooses the database and the TLS key. chmod 600 \(directory.settingsFile)\n"
        )
        chmod(directory.settingsFile, 0o644)
        #expect(FileManager.default.createFile(atPath: directory.databaseFile, contents: nil))
        chmod(directory.databaseFile, 0o666)
        let database = try run(["serve", "--config", directory.path])
        #expect(database.code == 1)
        #expect(database.error.hasPrefix("lambda-endpoint: \(directory.databaseFile) is writable by every user (mode 0666)"), "\(database.error)")
    }

    @Test("serve refuses a world-readable lambda-settings.yml with one line and starts nothing")
    func worldReadableSettings() throws {
        let directory = try TestConfigDirectory(lambda: ["secret": "'TOPSECRET'"])
        defer { directory.remove() }
        chmod(directory.lambdaSettingsFile, 0o644)
        let result = try run(["serve", "--config", directory.path])
        #expect(result.code == 1)
        #expect(
            result.error
                == "lambda-endpoint: \(directory.lambdaSettingsFile) is readable by every user (mode 0644); it holds the secret. chmod 600 \(directory.lambdaSettingsFile)\n"
        )
        #expect(!result.error.contains("TOPSECRET") && !result.output.contains("TOPSECRET"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/lambda.sqlite3"), "nothing was started")
    }

    @Test("A TLS certificate that is not PEM stops serve with one line naming the key")
    func badCertificate() throws {
        let directory = try TestConfigDirectory(settings: ["tls-certificate": "/etc/hostname", "tls-key": "/etc/hostname"])
        defer { directory.remove() }
        let result = try run(["serve", "--config", directory.path])
        #expect(result.code == 1)
        #expect(
            result.error.hasPrefix(
                "lambda-endpoint: \(directory.path)/settings.yml: key 'tls-certificate': /etc/hostname is not a PEM certificate chain"
            ),
            "\(result.error)"
        )
        #expect(result.error.split(separator: "\n").count == 1)
    }

    @Test("A missing config directory and an unopenable database are one clear line each")
    func missingDirectoryAndDatabase() throws {
        let missing = try run(["serve", "--config", "/nonexistent/lambda-config"])
        #expect(missing.code == 1)
        #expect(missing.error == "lambda-endpoint: /nonexistent/lambda-config/settings.yml: does not exist\n")

        let directory = try TestConfigDirectory(databaseSection: "  database: /nonexistent/dir/lambda.sqlite3\n")
        defer { directory.remove() }
        let result = try run(["serve", "--config", directory.path])
        #expect(result.code == 1)
        #expect(
            result.error.hasPrefix(
                "lambda-endpoint: \(directory.path)/settings.yml: key 'database.database': cannot open SQLite file /nonexistent/dir/lambda.sqlite3"
            )
        )
        #expect(result.error.split(separator: "\n").count == 1)
    }

    @Test("serve starts, answers a header from auth-header, and exits 0 on SIGTERM; the secret never shows")
    func serveAndAuthHeader() async throws {
        // `serve --config DIR` alone, on a port chosen in advance, as operators run it.
        let port = try Self.freePort()
        let directory = try TestConfigDirectory(settings: ["port": "\(port)"], lambda: ["log-level": "debug"])
        defer { directory.remove() }
        let server = try SpawnedProcess(executable: Self.binary, arguments: ["serve", "--config", directory.path])
        let beat = try await eventuallyValue("serve answers GET /heartbeat on port \(port)", timeout: .seconds(20)) {
            try? await Self.get("http://127.0.0.1:\(port)/heartbeat")
        }
        #expect(beat.1 == 200)
        #expect(try APIResponse.decode(HeartbeatAnswer.self, from: beat.0).status == "alive", "\(beat.0)")

        let header = try run(["auth-header", "--config", directory.path])
        #expect(header.code == 0)
        let value = header.output.trimmingCharacters(in: .newlines)
        #expect(value.hasPrefix(TestConfigDirectory.endpointUUID + "$argon2i$v=19$m=4096,t=3,p=1$"))
        #expect(!value.contains(TestConfigDirectory.secret))

        let (_, refused) = try await Self.get("http://127.0.0.1:\(port)/traces")
        #expect(refused == 401)
        let (traces, status) = try await Self.get("http://127.0.0.1:\(port)/traces", authorization: value)
        #expect(status == 200)
        #expect(try APIResponse.decode([StoredTemplateAnswer].self, from: traces).isEmpty, "\(traces)")

        server.send(SIGTERM)
        #expect(server.waitForExit(timeout: 15) == 0)
        #expect(!server.standardError.contains(TestConfigDirectory.secret))
        #expect(!server.standardError.contains(value), "the Authorization value is a credential and must not be logged")
    }

    @Test("serve --port-file on port 0 writes the bound port, digits and a newline, mode 0600, once it answers there")
    func portFile() async throws {
        let directory = try TestConfigDirectory(settings: ["port": "0"])
        defer { directory.remove() }
        let portFile = directory.path + "/port"
        let server = try SpawnedProcess(executable: Self.binary, arguments: ["serve", "--config", directory.path, "--port-file", portFile])
        let port = try #require(
            server.waitWhileRunning(timeout: 20) { portWritten(to: portFile) },
            "no port in \(portFile):\n\(server.standardError)"
        )
        #expect(port > 0)
        #expect(try String(contentsOfFile: portFile, encoding: .utf8) == "\(port)\n")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: portFile)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
        #expect(!FileManager.default.fileExists(atPath: portFile + ".tmp"), "the temporary file was left behind")

        // Bound before the file was written: answered at once, by this endpoint.
        let (beat, beatStatus) = try await Self.get("http://127.0.0.1:\(port)/heartbeat")
        #expect(beatStatus == 200)
        #expect(try APIResponse.decode(HeartbeatAnswer.self, from: beat).status == "alive", "\(beat)")
        let header = try run(["auth-header", "--config", directory.path]).output.trimmingCharacters(in: .newlines)
        #expect(try await Self.get("http://127.0.0.1:\(port)/traces", authorization: header).1 == 200)

        server.send(SIGTERM)
        #expect(server.waitForExit(timeout: 15) == 0)
    }

    @Test("A --port-file that cannot be written stops serve with exit 1 and one line naming it, before anything starts")
    func unwritablePortFile() throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let cases = [
            ("/nonexistent/lambda-dir/port", "cannot create /nonexistent/lambda-dir/port.tmp: No such file or directory"),
            (directory.path + "/traces", "\(directory.path)/traces is a directory"),
        ]
        for (file, reason) in cases {
            let result = try run(["serve", "--config", directory.path, "--port-file", file])
            #expect(result.code == 1, "\(file)")
            #expect(result.error == "lambda-endpoint: --port-file: \(reason)\n")
            #expect(!FileManager.default.fileExists(atPath: directory.databaseFile), "nothing was started")
        }
    }

    static func get(_ url: String, authorization: String? = nil) async throws -> (String, Int) {
        var request = URLRequest(url: URL(string: url)!)
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (String(decoding: data, as: UTF8.self), (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    /// A port that was free a moment ago (bind to 0, read it, close).
    static func freePort() throws -> Int {
        let socket = try LoopbackSocket(listening: false)
        defer { socket.close() }
        return socket.port
    }
}
