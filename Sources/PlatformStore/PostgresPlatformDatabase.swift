import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// The platform's PostgreSQL database, shared by any number of `lambda-platform serve`
/// processes (docs/platform.md, *More than one instance*): a pool of `poolSize`
/// connections (postgres-nio's `PostgresClient`, its I/O on NIO's event loops, never on
/// Swift's shared pool), serializable transactions run again when PostgreSQL refuses one
/// as conflicting with another instance's, advisory locks for jobs that must not run
/// twice at once, `LISTEN/NOTIFY` for wake-ups between instances.
///
/// Durability is the server's: with its defaults (`fsync`, `synchronous_commit` on) a
/// transaction that returned is on disk. When the server cannot be reached within
/// `leaseTimeout`, or drops the connection, the call throws `PlatformStoreError.unavailable`
/// (answered 503 with `Retry-After`); the pool reconnects by itself once it is back.
public final class PostgresPlatformDatabase: PlatformDatabase {
    public let location: PostgresLocation
    public let poolSize: Int
    let leaseTimeout: Duration
    let client: PostgresClient
    let logger: Logger
    let closedConnections = ClosedConnectionWatch()
    private let running: Task<Void, Never>

    /// A transaction refused as conflicting (serialization failure, deadlock) is run again
    /// this many times at most, after a short random pause.
    static let conflictRetries = 20

    public static func open(
        _ location: PostgresLocation,
        password: String?,
        poolSize: Int = 10,
        leaseTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "lambda-platform.postgres")
    ) async throws -> PostgresPlatformDatabase {
        try await firstConnection(location, password: password, logger: logger)
        let database = connect(location, password: password, poolSize: poolSize, leaseTimeout: leaseTimeout, logger: logger)
        do {
            // Two instances started at once would both migrate: the first takes the lock,
            // the second waits and then finds the schema current.
            try await database.holdingLock(.migration) { try await PlatformSchema.migrate(database) }
        } catch {
            await database.close()
            if let known = error as? PlatformStoreError, case .unavailable(let why) = known {
                throw PlatformStoreError.cannotOpen("\(location.summary): \(why)")
            }
            throw error
        }
        return database
    }

    /// The pool, not yet used: no connection is made before the first query.
    static func connect(
        _ location: PostgresLocation,
        password: String?,
        poolSize: Int,
        leaseTimeout: Duration,
        logger: Logger
    ) -> PostgresPlatformDatabase {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: password,
            database: location.database,
            tls: tls(location.tls)
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = connectTimeout
        return PostgresPlatformDatabase(
            location: location,
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            poolSize: poolSize,
            leaseTimeout: leaseTimeout,
            logger: logger
        )
    }

    private init(location: PostgresLocation, client: PostgresClient, poolSize: Int, leaseTimeout: Duration, logger: Logger) {
        self.location = location
        self.client = client
        self.poolSize = poolSize
        self.leaseTimeout = leaseTimeout
        self.logger = logger
        running = Task { await client.run() }
    }

    static func tls(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        guard let configuration = tlsConfiguration(mode) else { return .disable }
        return mode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// What `sslmode` asks of TLS (nil: none): `prefer` and `require` encrypt without
    /// checking the certificate, as libpq; `verify-full` checks it and the host name.
    static func tlsConfiguration(_ mode: PostgresLocation.TLSMode) -> TLSConfiguration? {
        guard mode != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if mode != .verifyFull { configuration.certificateVerification = .none }
        return configuration
    }

    /// How long making one connection may take (the pool's, and the first one's at start).
    static let connectTimeout = Duration.seconds(3)

    public var summary: String { location.summary }
    public var isShared: Bool { true }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { connection in try await body(self.sql(connection)) }
    }

    /// The SQL of a leased connection, whose queries end when the connection closes.
    func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        ClosingAwareSQLDatabase(base: connection.sql(queryLogLevel: nil), connection: connection, watch: closedConnections)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection { connection in
                    try await self.sql(connection).transaction("BEGIN ISOLATION LEVEL SERIALIZABLE", body)
                }
            } catch let error where Self.isConflict(error) && attempt < Self.conflictRetries {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            }
        }
    }

    public func storeSize() async -> Int64? {
        try? await read { sql in
            try await sql.raw("SELECT pg_database_size(current_database()) AS n").first(decodingColumn: "n", as: Int64.self)
        }
    }

    public func close() async {
        running.cancel()
        _ = await running.value
    }

    // MARK: Between instances

    public func exclusively<T: Sendable>(_ job: ExclusiveJob, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withAdvisoryLock(job, waiting: false, body)
    }

    /// As `exclusively`, but waits for the lock instead of giving up.
    func holdingLock<T: Sendable>(_ job: ExclusiveJob, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // Waiting, the lock is always taken in the end: nil cannot come back.
        try await withAdvisoryLock(job, waiting: true, body)!
    }

    /// A session lock on one leased connection, held while `body` uses others; it goes
    /// with the connection if this process dies. nil when not `waiting` and taken.
    private func withAdvisoryLock<T: Sendable>(
        _ job: ExclusiveJob,
        waiting: Bool,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await withConnection { connection in
            let sql = self.sql(connection)
            if waiting {
                try await sql.raw("SELECT pg_advisory_lock(\(bind: job.rawValue))").run()
            } else {
                let taken = try await sql.raw("SELECT pg_try_advisory_lock(\(bind: job.rawValue)) AS taken").first(
                    decodingColumn: "taken",
                    as: Bool.self
                )
                guard taken == true else { return nil }
            }
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            _ = try? await sql.raw("SELECT pg_advisory_unlock(\(bind: job.rawValue))").run()
            return try outcome.get()
        }
    }

    public func announce(_ announcement: PlatformAnnouncement) async {
        do {
            try await read { sql in
                try await sql.raw("SELECT pg_notify(\(bind: PlatformAnnouncement.channel), \(bind: announcement.payload))").run()
            }
        } catch {
            logger.debug("Announcement not sent", metadata: ["error": "\(error)"])
        }
    }

    public func listen(
        _ heard: @escaping @Sendable (PlatformAnnouncement) -> Void,
        reconnected: @escaping @Sendable () -> Void
    ) async {
        var lostOnce = false
        while !Task.isCancelled {
            do {
                // One of the pool's connections, held for as long as the listening lasts.
                try await client.withConnection { connection in
                    try await connection.listen(on: PlatformAnnouncement.channel) { notifications in
                        if lostOnce { reconnected() }
                        for try await notification in notifications {
                            if let announcement = PlatformAnnouncement(payload: notification.payload) { heard(announcement) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if !lostOnce { logger.warning("Lost the database's notifications; reconnecting", metadata: ["error": "\(Self.reason(error))"]) }
            }
            lostOnce = true
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    // MARK: Connections and errors

    /// A leased connection for `body`, or `unavailable` when none comes within
    /// `leaseTimeout` (the pool's own wait, up to its 60-second circuit breaker, would hold
    /// requests far longer than an endpoint's retry). Only the wait for a connection is
    /// timed: a body that runs long (a retention batch) is waited for.
    ///
    /// The lease runs in a task of its own that this call does not wait for once the
    /// timeout has answered: a lease the pool is slow to give up (while the server is
    /// down) must not hold the request (a task group would wait for it). A connection
    /// that comes after that is handed straight back, `body` not run.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let race = LeaseRace<T>()
        let client = client
        let leaseTimeout = leaseTimeout
        let location = location
        return try await withCheckedThrowingContinuation { continuation in
            race.begin(continuation)
            // A timer on an event loop rather than a sleeping Task: one per query, and a
            // Task with its dispatch timer showed in the ingest profile (thread hops).
            let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: TimeAmount(leaseTimeout)) {
                race.abandon(PlatformStoreError.unavailable("no connection to \(location.host):\(location.port) within \(leaseTimeout)"))
            }
            Task {
                do {
                    let value = try await client.withConnection { connection -> T? in
                        guard race.lease() else { return nil }
                        timer.cancel()
                        return try await body(connection)
                    }
                    if let value { race.finish(.success(value)) }
                } catch {
                    timer.cancel()
                    race.finish(.failure(Self.mapped(error)))
                }
            }
        }
    }

    /// PostgreSQL's SQLSTATEs for a transaction refused because of a concurrent one.
    static func isConflict(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// `unavailable` for every error that says the server cannot be used now (connection
    /// refused, closed, server shutting down or starting, too many connections); others
    /// as they are.
    static func mapped(_ error: any Error) -> any Error {
        if error is PlatformStoreError || error is CancellationError { return error }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                guard let state = error.serverInfo?[.sqlState] else { return error }
                // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown,
                // cannot connect now; 53300: too many connections.
                if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
                    return PlatformStoreError.unavailable(reason(error))
                }
                return error
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .sslUnsupported:
                return PlatformStoreError.unavailable(reason(error))
            default:
                return error
            }
        }
        // NIO's own, when a query meets a channel that closed under it (not wrapped in a
        // PSQLError): the connection is gone, which is an outage too.
        if error is ChannelError || error is IOError { return PlatformStoreError.unavailable("the connection closed: \(error)") }
        // The pool's own errors (its module is not public): a circuit broken, a pool shut down.
        if String(reflecting: type(of: error)).contains("ConnectionPoolError") { return PlatformStoreError.unavailable("\(error)") }
        return error
    }

    /// What went wrong in words, without the query or its bound values (a token's hash,
    /// a password's).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(type(of: error))" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        switch error.code {
        case .authMechanismRequiresPassword: return "the server asks for a password and none was given (database-password-file or PGPASSWORD)"
        case .sslUnsupported: return "the server does not offer TLS, which sslmode requires"
        default: break
        }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }
}

/// Whether a call got its connection (then only the body's own time counts).
private final class LeaseFlag: Sendable {
    let value = Atomic(false)
}
