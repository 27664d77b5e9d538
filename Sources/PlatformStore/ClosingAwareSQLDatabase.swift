import Logging
import NIOCore
import PostgresNIO
import SQLKit
import Synchronization

/// The SQL of one leased connection, whose queries fail as `unavailable` once the
/// connection has closed. postgres-nio 1.33 writes a query to its channel without a write
/// promise: a query written just as the server went away (measured in
/// `DatabaseOutageTests`: one request in three runs, stopping PostgreSQL under four
/// senders) is dropped with the closed channel and its caller waited forever, holding an
/// HTTP request and a pooled connection. Here each query also ends when the connection's
/// `closeFuture` does (`ClosedConnectionWatch`).
struct ClosingAwareSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let connection: PostgresConnection
    let watch: ClosedConnectionWatch

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        watch.run(on: connection) { base.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// The queries running on each open connection of the pool (at most `pool-size` entries,
/// each gone when its connection closes): when a connection closes, those still running
/// fail as `unavailable`, and their own futures, which postgres-nio may never fulfil, are
/// kept (NIO's debug builds stop the process when a future is released unfulfilled).
final class ClosedConnectionWatch: Sendable {
    private struct Running {
        var queries: [ObjectIdentifier: (EventLoopFuture<Void>, EventLoopPromise<Void>)] = [:]
    }

    private let connections = Mutex([ObjectIdentifier: Running]())
    /// Queries dropped by postgres-nio with their connection: one per connection closed
    /// mid-query at most, bounded anyway (then the oldest go; release builds do not check).
    private let abandoned = Mutex([EventLoopFuture<Void>]())
    static let abandonedLimit = 1024

    func run(on connection: PostgresConnection, _ query: () -> EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let eventLoop = connection.eventLoop
        let closed = PlatformStoreError.unavailable("the connection to the database closed")
        guard !connection.isClosed else { return eventLoop.makeFailedFuture(closed) }
        let key = ObjectIdentifier(connection)
        let isNew = connections.withLock { connections in
            guard connections[key] == nil else { return false }
            connections[key] = Running()
            return true
        }
        if isNew {
            connection.closeFuture.whenComplete { [weak self] _ in
                guard let self else { return }
                let left = self.connections.withLock { $0.removeValue(forKey: key)?.queries.values.map { $0 } ?? [] }
                self.abandoned.withLock { kept in
                    kept.append(contentsOf: left.map(\.0))
                    if kept.count > Self.abandonedLimit { kept.removeFirst(kept.count - Self.abandonedLimit) }
                }
                for (_, answer) in left { answer.fail(closed) }
            }
        }
        let running = query()
        let answer = eventLoop.makePromise(of: Void.self)
        let id = ObjectIdentifier(running)
        connections.withLock { $0[key]?.queries[id] = (running, answer) }
        running.whenComplete { [weak self] result in
            self?.connections.withLock { _ = $0[key]?.queries.removeValue(forKey: id) }
            answer.completeWith(result)
        }
        return answer.futureResult
    }
}
