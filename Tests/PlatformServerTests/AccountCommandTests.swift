import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// Runs the built `lambda-platform` to its end: `arguments`, `input` on its stdin.
func platformCommand(_ arguments: [String], input: String? = nil) throws -> (code: Int32?, output: String, error: String) {
    let process = try SpawnedProcess(executable: PlatformProcess.binary, arguments: arguments, standardInput: input)
    let code = process.waitForExit(timeout: 60)
    return (code, process.standardOutput, process.standardError)
}

/// A file of mode 0600 holding `text`, in `directory`.
func privateFile(_ directory: String, _ name: String, _ text: String, mode: Int = 0o600) -> String {
    let path = directory + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    return path
}

@Suite("lambda-platform account and fleet against the real binary serving its database")
struct AccountCommandTests {
    static let endpoint = PlatformProcess.Declared(uuid: "6f1d9a4e-1c2b-4d3e-8f70-112233445566", secret: "first-endpoint-secret")
    let password = "correct-horse-battery-staple"

    @Test("account add|list|remove while serving, the password read from stdin and absent from every output; fleet login and endpoints")
    func accountsWhileServing() async throws {
        let fake = await FakePushEndpoint()
        defer { fake.stop() }
        let push = PlatformProcess.Declared(uuid: "8b3f1c60-3e4d-4f50-a192-334455667788", secret: "push-secret", url: fake.url)
        // On PostgreSQL the binary serves a database of the shared cluster, and the account
        // commands change it beside the running server as they do the SQLite file.
        let database = PlatformTestEngine.current == .postgres ? try await PlatformTestEngine.databaseURL() : nil
        let platform = try PlatformProcess(
            endpoints: [Self.endpoint, push],
            extra: database.map { ["database: \"\($0)\"", "database-pool-size: \(PlatformTestEngine.poolSize)"] } ?? []
        )
        defer {
            platform.stop()
            if let database { Task { await PlatformTestEngine.dropDatabase(database) } }
        }
        try await eventually("serve told how to add the first account") { platform.process.standardError.contains("no account yet") }
        #expect(platform.process.standardError.contains("lambda-platform account add NAME --role admin --config \(platform.directory)"))

        var outputs: [String] = []
        let added = try platform.command(["account", "add", "alice", "--role", "admin"], input: password + "\n")
        outputs += [added.output, added.error]
        #expect(added.code == 0, "\(added.error)")
        #expect(added.output == "account alice added (admin)\n")
        let viewer = try platform.command(["account", "add", "bob.v", "--role", "viewer"], input: password + "\n")
        outputs += [viewer.output, viewer.error]
        #expect(viewer.code == 0)

        let short = try platform.command(["account", "add", "carol", "--role", "viewer"], input: "seven77\n")
        outputs += [short.output, short.error]
        #expect(short.code == 1 && short.error == "lambda-platform: password: 8 to 1024 bytes\n")
        let empty = try platform.command(["account", "add", "carol", "--role", "viewer"])
        #expect(empty.code == 1 && empty.error == "lambda-platform: password: expected on standard input (its first line)\n")
        let role = try platform.command(["account", "add", "carol", "--role", "root"], input: password + "\n")
        #expect(role.code == 1 && role.error == "lambda-platform: role: admin, operator or viewer\n")
        let taken = try platform.command(["account", "add", "alice", "--role", "viewer"], input: password + "\n")
        #expect(taken.code == 1 && taken.error == "lambda-platform: name: account alice exists already\n")

        let table = try platform.command(["account", "list"])
        outputs += [table.output, table.error]
        let lines = table.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first == "NAME   ROLE    CREATED")
        #expect(lines.dropFirst().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["alice admin", "bob.v viewer"])
        let json = try platform.command(["account", "list", "--json"])
        outputs += [json.output]
        let listed = try JSONDecoder().decode([[String: String]].self, from: Data(json.output.utf8))
        #expect(listed.map { $0["name"]! } == ["alice", "bob.v"])
        #expect(listed.allSatisfy { Set($0.keys) == ["name", "role", "created"] })

        // Sign in with the account made from the command line; list the endpoints.
        let login = try platformCommand(["fleet", "login", "--url", platform.url, "--name", "alice"], input: password + "\n")
        outputs += [login.output, login.error]
        #expect(login.code == 0, "\(login.error)")
        let token = login.output.trimmingCharacters(in: .newlines)
        #expect(token.count == 64)
        let tokenFile = privateFile(platform.directory, "token", token + "\n")
        let endpoints = try platformCommand(["fleet", "endpoints", "--url", platform.url, "--token-file", tokenFile])
        outputs += [endpoints.output, endpoints.error]
        #expect(endpoints.code == 0, "\(endpoints.error)")
        let rows = endpoints.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first == ["UUID", "HOSTNAME", "CONTROL", "VERSION", "ONLINE", "LAST", "SEEN", "LABELS"])
        #expect(rows.dropFirst().map { $0.first } == [Self.endpoint.uuid, push.uuid])
        #expect(rows.dropFirst().first?.dropFirst().prefix(4) == ["-", "-", "-", "no"])
        // `serve` asks the push endpoint's /heartbeat at start: it is online.
        try await eventually("the push endpoint's first heartbeat was answered") { !fake.received.isEmpty }
        try await eventually("the push endpoint is listed online") {
            let json = try platformCommand(["fleet", "endpoints", "--json", "--url", platform.url, "--token-file", tokenFile])
            let list = try JSONDecoder().decode([JSONValue].self, from: Data(json.output.utf8))
            return list.contains { $0.object?["uuid"]?.string == push.uuid && $0.object?["online"]?.bool == true }
        }

        let wrong = try platformCommand(["fleet", "login", "--url", platform.url, "--name", "alice"], input: "not-the-password\n")
        #expect(wrong.code == 1 && wrong.error == "lambda-platform: POST /api/login: 401 name or password wrong\n" && wrong.output.isEmpty)

        let removed = try platform.command(["account", "remove", "alice"])
        #expect(removed.code == 0 && removed.output == "account alice removed\n")
        let again = try platform.command(["account", "remove", "alice"])
        #expect(again.code == 1 && again.error == "lambda-platform: no account alice\n")
        let refused = try platformCommand(["fleet", "endpoints", "--url", platform.url, "--token-file", tokenFile])
        #expect(refused.code == 1 && refused.error.hasPrefix("lambda-platform: GET /api/endpoints: 401 "))

        outputs += [platform.process.standardOutput, platform.process.standardError]
        for output in outputs { #expect(!output.contains(password) && !output.contains("argon2")) }
    }

    @Test("fleet refuses a token file others may read, and names the file")
    func tokenFileMode() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = privateFile(directory, "token", String(repeating: "a", count: 64), mode: 0o644)
        let result = try platformCommand(["fleet", "runs", "--url", "http://127.0.0.1:9", "--token-file", file])
        #expect(result.code == 1)
        #expect(
            result.error == "lambda-platform: --token-file \(file): holds secrets but is readable by its group or others (mode 644); chmod 600 it\n"
        )
    }
}
