import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The directory of a private PostgreSQL cluster, `$TMPDIR/lambda-pg-<pid>-<random>`
/// (`data/`, `socket/`, `postgres.log`), and the PostgreSQL commands run on it. Blocking:
/// callers run it on `TestMachineryThreads`.
///
/// As root the server's commands run as the unprivileged `postgres` OS user (`runuser -u
/// postgres --`: initdb and the postmaster refuse root), which then owns the directory;
/// as another user, as that user.
struct PostgresClusterDirectory: Sendable {
    static let namePrefix = "lambda-pg-"

    let path: String
    /// `/usr/lib/postgresql/<version>/bin`, the newest with an `initdb`.
    let binaries: String
    let asPostgresUser: Bool

    var data: String { path + "/data" }
    var socket: String { path + "/socket" }
    var log: String { path + "/postgres.log" }

    /// Makes the directory and its socket directory, owned by the user the server runs as.
    static func make() throws -> PostgresClusterDirectory {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let newest = versions.filter { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
            .max { (Double($0) ?? 0) < (Double($1) ?? 0) }
        guard let newest else {
            throw PostgresClusterFailure("no /usr/lib/postgresql/*/bin/initdb: install Debian's postgresql (scripts/install-deps.sh)")
        }
        let name = "\(namePrefix)\(getpid())-\(HomeMadeContainer.randomHex(count: 8))"
        let directory = PostgresClusterDirectory(
            path: FileManager.default.temporaryDirectory.appendingPathComponent(name).path,
            binaries: "/usr/lib/postgresql/\(newest)/bin",
            asPostgresUser: getuid() == 0
        )
        for path in [directory.path, directory.socket] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            if directory.asPostgresUser {
                guard let user = getpwnam("postgres") else { throw PostgresClusterFailure("no OS user postgres (Debian's postgresql makes it)") }
                guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                    throw PostgresClusterFailure("chown \(path) to postgres: \(String(cString: strerror(errno)))")
                }
            }
        }
        return directory
    }

    /// `initdb` with trust authentication (local and 127.0.0.1 only: `listen_addresses`),
    /// then the settings of `writeSettings` included from postgresql.conf.
    func initialize() throws {
        try server(
            "initdb",
            ["-D", data, "-U", "postgres", "--auth-host=trust", "--auth-local=trust", "-E", "UTF8", "--locale=C"],
            doing: "initdb"
        )
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\ninclude 'lambda-test.conf'\n".utf8))
    }

    /// fsync stays on: what survives a server stopped mid-stream is what the outage tests
    /// check. 200 connections: two platform instances' pools and the tests' own clients.
    /// `log_min_error_statement = panic`: a failing statement's text, a role's password in
    /// it, never reaches the log, whose tail the errors carry.
    func writeSettings(port: Int) throws {
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(socket)'
            max_connections = 200
            shared_buffers = 32MB
            fsync = on
            log_min_error_statement = panic

            """
        try Data(settings.utf8).write(to: URL(fileURLWithPath: data + "/lambda-test.conf"))
    }

    /// `pg_ctl start -w`: returns once the server accepts connections.
    func start() throws {
        try server("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "start"], doing: "pg_ctl start")
    }

    /// `pg_ctl stop -m MODE -w`: `fast` ends the sessions and writes a checkpoint,
    /// `immediate` ends everything at once (recovery at the next start).
    func stop(mode: String) throws {
        try server("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"], doing: "pg_ctl stop")
    }

    var isRunning: Bool { FileManager.default.fileExists(atPath: data + "/postmaster.pid") }

    /// Stops the server at once if it runs and removes the directory.
    func remove() {
        if isRunning { try? stop(mode: "immediate") }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The log's size, to read what comes after it (`logTail(from:)`).
    var logSize: UInt64 { ((try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? UInt64) ?? 0 }

    /// The log from `offset` on, its last 2,000 characters.
    func logTail(from offset: UInt64 = 0) -> String {
        guard let handle = FileHandle(forReadingAtPath: log) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self).suffix(2000))
    }

    /// Runs one of the server's binaries as the server's user; throws its output and the
    /// log's tail when it fails.
    private func server(_ tool: String, _ arguments: [String], doing what: String) throws {
        let argv = asPostgresUser ? ["-u", "postgres", "--", binaries + "/" + tool] + arguments : arguments
        let (status, output) = try Self.run(asPostgresUser ? "/usr/sbin/runuser" : binaries + "/" + tool, argv)
        guard status == 0 else {
            throw PostgresClusterFailure("\(what) failed (\(status.map(String.init) ?? "no exit in 60 s")): \(output)\nlog: \(logTail())")
        }
    }

    /// A client binary (`psql`, `createdb`, `dropdb`) to 127.0.0.1:`port`.
    func client(
        _ tool: String,
        _ arguments: [String],
        port: Int,
        password: String? = nil,
        input: String? = nil
    ) throws -> (
        status: Int32?, output: String
    ) {
        var environment: [String: String] = [:]
        if let password { environment["PGPASSWORD"] = password }
        return try Self.run(
            binaries + "/" + tool,
            ["-h", "127.0.0.1", "-p", String(port), "-w"] + arguments,
            environment: environment,
            input: input
        )
    }

    /// Runs `executable` (argv, no shell) with a fixed environment, none of the caller's
    /// `PG*` variables, `extra` added; waits up to 60 s. Status nil: killed at the deadline.
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment extra: [String: String] = [:],
        input: String? = nil
    ) throws -> (
        status: Int32?, output: String
    ) {
        let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"].merging(extra) { $1 }
        let process = try SpawnedProcess(executable: executable, arguments: arguments, environment: environment, standardInput: input)
        let status = process.waitForExit(timeout: 60)
        if status == nil {
            process.send(SIGKILL)
            process.waitForExit(timeout: 5)
        }
        return (status, (process.standardOutput + process.standardError).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A private cluster that could not be made, started, stopped or used: what failed, the
/// command's output and the server log's tail.
public struct PostgresClusterFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
