import Foundation
import Synchronization

/// A private PostgreSQL cluster for the tests (docs/testing.md, "PostgreSQL and haproxy in
/// tests"): Debian's PostgreSQL, `initdb` into `$TMPDIR/lambda-pg-<pid>-<random>` as the
/// unprivileged `postgres` user, listening on a free port of 127.0.0.1 only, trust
/// authentication. Never Debian's default cluster.
///
/// `shared()` is the test process's one cluster, each test taking databases of its own
/// (`createDatabase`). A test that stops the server (a database outage) makes its own with
/// `PostgresCluster()` and `remove()`s it: the shared one must stay up for the others.
/// Whatever is still running at the process's exit is stopped and removed then; what a
/// process killed outright leaves, `scripts/prepare-test-machine.sh` sweeps.
public final class PostgresCluster: Sendable {
    public let port: Int
    /// The cluster's directory: `data/`, `socket/`, `postgres.log`.
    public var directory: String { files.path }

    let files: PostgresClusterDirectory
    private let exitCleanup: UUID
    /// Edits of a pg_hba.conf, one at a time in this process (`createRole`).
    private static let hbaEdits = Mutex(())

    /// The shared cluster, started on the first call.
    public static func shared() async throws -> PostgresCluster {
        try await SharedPostgresCluster.instance.cluster()
    }

    /// Makes and starts a new cluster; returns once it accepts connections.
    public init() async throws {
        let files = try PostgresClusterDirectory.make()
        let cleanup = ExitCleanup.register { files.remove() }
        do {
            port = try await TestMachineryThreads.run { try Self.initializeAndStart(files) }
        } catch {
            ExitCleanup.cancel(cleanup)
            files.remove()
            throw error
        }
        self.files = files
        exitCleanup = cleanup
    }

    /// The port is free when picked, but another process may take it before the server
    /// binds it: then another port, three times at most.
    private static func initializeAndStart(_ files: PostgresClusterDirectory) throws -> Int {
        try files.initialize()
        for attempt in 1...3 {
            let socket = try LoopbackSocket(listening: false)
            let port = socket.port
            socket.close()
            try files.writeSettings(port: port)
            let logStart = files.logSize
            do {
                try files.start()
                return port
            } catch  where attempt < 3 && files.logTail(from: logStart).contains("could not bind") {
                continue
            }
        }
        throw PostgresClusterFailure("unreachable: the third attempt returns or throws")
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`: trust authentication, no password.
    public func url(database: String, user: String = "postgres") -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// A new empty database of a unique name; its URL.
    public func createDatabase() async throws -> String {
        let name = "test_\(HomeMadeContainer.randomHex(count: 16))"
        try await client("createdb", ["-U", "postgres", name], doing: "createdb \(name)")
        return url(database: name)
    }

    /// Drops the database `url` names; `dropdb --force` ends its sessions first (a pool of
    /// a platform still holding connections would make a plain DROP fail).
    public func dropDatabase(_ url: String) async throws {
        let name = try Self.databaseName(in: url)
        try await client("dropdb", ["-U", "postgres", "--force", name], doing: "dropdb \(name)")
    }

    /// Runs `sql` with `psql` in `database` as `user` (the password, if any, through
    /// PGPASSWORD, never argv); the rows unaligned, `|` between columns, without headers.
    public func psql(_ sql: String, database: String = "postgres", user: String = "postgres", password: String? = nil) async throws -> String {
        try await client(
            "psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", database, "-c", sql],
            password: password,
            doing: "psql as \(user) on \(database)"
        )
    }

    /// A login role that must give `password` (SCRAM) from 127.0.0.1, for the test of the
    /// platform's password file; everyone else keeps trust. The password reaches psql on
    /// its stdin, never argv, and is kept out of every error text.
    public func createRole(name: String, password: String) async throws {
        guard name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw PostgresClusterFailure("role name \(name): lowercase letters, digits and _ only")
        }
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        let files = files
        let port = port
        try await TestMachineryThreads.run {
            let (status, output) = try files.client(
                "psql",
                ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "postgres", "-f", "-"],
                port: port,
                input: "CREATE ROLE \(name) LOGIN PASSWORD \(literal);\n"
            )
            guard status == 0 else {
                let shown = password.isEmpty ? output : output.replacingOccurrences(of: password, with: "<password>")
                throw PostgresClusterFailure("CREATE ROLE \(name) failed: \(shown)")
            }
            // pg_hba.conf: the first matching line decides, so the role's goes first. Tests
            // make roles at once: one edit at a time, the file replaced whole (a reader of
            // it half-written lost the trust lines, and every client was refused after).
            try Self.hbaEdits.withLock { _ in
                let hba = URL(fileURLWithPath: files.data + "/pg_hba.conf")
                let lines = try String(contentsOf: hba, encoding: .utf8)
                try Data("host all \(name) 127.0.0.1/32 scram-sha-256\n\(lines)".utf8).write(to: hba, options: .atomic)
            }
        }
        _ = try await psql("SELECT pg_reload_conf()")
        // The postmaster reloads on SIGHUP, a moment later: ready once trust is gone.
        try await eventually("the role \(name) needs its password", timeout: .seconds(10)) {
            let (status, _) = try await TestMachineryThreads.run {
                try files.client("psql", ["-X", "-c", "SELECT 1", "-U", name, "-d", "postgres"], port: port)
            }
            return status != 0
        }
    }

    /// Stops the server (`pg_ctl -m fast`): its clients see their connections closed and
    /// new ones refused, until `start()`.
    public func stop() async throws {
        let files = files
        try await TestMachineryThreads.run { try files.stop(mode: "fast") }
    }

    /// Starts the stopped server again: same directory, data and port.
    public func start() async throws {
        let files = files
        try await TestMachineryThreads.run { try files.start() }
    }

    /// Stops the server at once and removes its directory (a cluster of a test's own).
    public func remove() async {
        ExitCleanup.cancel(exitCleanup)
        let files = files
        _ = try? await TestMachineryThreads.run { files.remove() }
    }

    @discardableResult
    private func client(_ tool: String, _ arguments: [String], password: String? = nil, doing what: String) async throws -> String {
        let files = files
        let port = port
        return try await TestMachineryThreads.run {
            let (status, output) = try files.client(tool, arguments, port: port, password: password)
            guard status == 0 else {
                throw PostgresClusterFailure("\(what) failed (\(status.map(String.init) ?? "no exit in 60 s")): \(output)")
            }
            return output
        }
    }

    /// The database of a URL this cluster gave (`createDatabase`).
    static func databaseName(in url: String) throws -> String {
        guard let name = URL(string: url)?.lastPathComponent, name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil else {
            throw PostgresClusterFailure("not a database URL of this cluster: \(url)")
        }
        return name
    }
}

/// The test process's one shared cluster, started once: concurrent first callers wait for
/// the same start (and see the same failure, if it fails).
private actor SharedPostgresCluster {
    static let instance = SharedPostgresCluster()
    private var starting: Task<PostgresCluster, any Error>?

    func cluster() async throws -> PostgresCluster {
        if let starting { return try await starting.value }
        let task = Task { try await PostgresCluster() }
        starting = task
        return try await task.value
    }
}
