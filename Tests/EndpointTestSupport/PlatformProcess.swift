import Foundation
import PlatformServer

#if canImport(Glibc)
import Glibc
#endif

/// The real `lambda-platform serve --config DIR` as a separate process on a free port of
/// loopback, with its platform.yml (mode 0600) in a temporary directory that outlives a
/// `kill` and `restart` (a restarted platform opens the same database and listens on the
/// same port: the first start's port is written into platform.yml).
///
/// Its database is the SQLite file in that directory, or the PostgreSQL database given as
/// `database`, which a `sibling()` shares: a second instance with a directory and port of
/// its own, as a fleet's owner runs two behind a balancer.
public final class PlatformProcess: @unchecked Sendable {
    /// An endpoint platform.yml declares.
    public typealias Declared = PlatformSettings.DeclaredEndpoint

    public let directory: String
    public private(set) var process: SpawnedProcess
    public private(set) var port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    /// platform.yml's `database`: a `postgres://` URL, or nil for the SQLite file.
    public let database: String?
    public var databasePath: String { directory + "/platform.sqlite" }
    /// platform.yml's lines but `port`: what a sibling is started with.
    private let settingsLines: [String]

    /// `database`: a `postgres://` URL (`PostgresCluster.createDatabase()`) with a pool of
    /// `databasePoolSize` connections; `extra`: more platform.yml lines, e.g.
    /// `["max-poll-wait: 1"]`.
    public convenience init(
        endpoints: [Declared],
        fleetSecret: String? = nil,
        database: String? = nil,
        databasePoolSize: Int? = nil,
        extra: [String] = []
    ) throws {
        var lines: [String] = []
        if !endpoints.isEmpty {
            lines.append("endpoints:")
            for endpoint in endpoints {
                var fields = ["secret: \"\(endpoint.secret)\""]
                if let url = endpoint.url { fields.append("url: \"\(url)\"") }
                if let labels = endpoint.labels {
                    fields.append("labels: {" + labels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ") + "}")
                }
                lines.append("  \(endpoint.uuid): {\(fields.joined(separator: ", "))}")
            }
        }
        if let fleetSecret { lines.append("fleet-secret: \"\(fleetSecret)\"") }
        if let database { lines.append("database: \"\(database)\"") }
        if let databasePoolSize { lines.append("database-pool-size: \(databasePoolSize)") }
        try self.init(settingsLines: lines + extra, database: database)
    }

    private init(settingsLines: [String], database: String?) throws {
        self.settingsLines = settingsLines
        self.database = database
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-platform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/platform.yml"
        let lines = ["host: 127.0.0.1", "port: 0"] + settingsLines
        FileManager.default.createFile(
            atPath: file,
            contents: Data((lines.joined(separator: "\n") + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        (process, port) = try Self.launch(directory: directory)
        // From now on the same port: a restart is where its endpoints deliver already.
        let kept = lines.map { $0 == "port: 0" ? "port: \(port)" : $0 }
        try Data((kept.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    }

    /// A second instance on the same PostgreSQL database: the same platform.yml but its
    /// own directory and port.
    public func sibling() throws -> PlatformProcess {
        guard let database else { throw PlatformFailedToStart(log: "a sibling shares a postgres:// database; this one has an SQLite file") }
        return try PlatformProcess(settingsLines: settingsLines, database: database)
    }

    /// The built `lambda-platform`, next to this test bundle.
    public static var binary: String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: testBinary).deletingLastPathComponent().appendingPathComponent("lambda-platform").path
    }

    static func launch(directory: String) throws -> (SpawnedProcess, Int) {
        let portFile = directory + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        let process = try SpawnedProcess(executable: binary, arguments: ["serve", "--config", directory, "--port-file", portFile])
        let port = process.waitWhileRunning(timeout: 30) { portWritten(to: portFile) }
        guard let port else {
            process.send(SIGKILL)
            _ = process.waitForExit(timeout: 10)
            throw PlatformFailedToStart(log: String(process.standardError.suffix(2000)) + String(process.standardOutput.suffix(2000)))
        }
        return (process, port)
    }

    /// Sends `signal` and waits for the exit.
    public func kill(_ signal: Int32 = SIGKILL) {
        process.send(signal)
        _ = process.waitForExit(timeout: 20)
    }

    /// Starts it again on the same directory, database and port (its endpoints' platform-url
    /// stays right).
    public func restart() throws {
        (process, port) = try Self.launch(directory: directory)
    }

    /// Stops it and removes its directory.
    public func stop() {
        kill(SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `lambda-platform ARGUMENTS --config DIR` to its end, `input` on its stdin.
    public func command(_ arguments: [String], input: String? = nil) throws -> (code: Int32?, output: String, error: String) {
        let process = try SpawnedProcess(executable: Self.binary, arguments: arguments + ["--config", directory], standardInput: input)
        let code = process.waitForExit(timeout: 60)
        return (code, process.standardOutput, process.standardError)
    }
}

public struct PlatformFailedToStart: Error, CustomStringConvertible {
    public let log: String
    public var description: String { "lambda-platform did not start: \(log)" }
}
