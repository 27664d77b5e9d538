import SQLKit

/// The platform's database, whichever engine holds it. Every query of the platform goes
/// through `read` or `write` as SQLKit expressions or `raw` SQL that both engines speak
/// (`INSERT ... ON CONFLICT`, `RETURNING`, `LIMIT`), with snake_case names: the same text
/// serves SQLite and PostgreSQL (docs/platform.md, *Storage*).
public protocol PlatformDatabase: Sendable {
    /// Runs `body` with a connection for queries that change nothing.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed (durably, as the engine's settings say)
    /// when it returns, rolled back when it throws. A 2xx is answered only after this.
    /// Transactions are serializable on both engines: SQLite has one writer at a time, and
    /// PostgreSQL runs `body` again when it refused the transaction as conflicting with
    /// another instance's (so `body` must change nothing but the database).
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// What engine and where, for logs and `/metrics` (never a password).
    var summary: String { get }
    /// The bytes the database occupies, for `/metrics`; nil when unknown.
    func storeSize() async -> Int64?
    func close() async

    /// Whether other `lambda-platform` processes may share this database (PostgreSQL):
    /// what one instance remembers in memory (accepted signature nonces) must then be
    /// kept in the database, and wake-ups travel through it (`announce`, `listen`).
    var isShared: Bool { get }
    /// Runs `body` unless another instance runs the same `job` now (nil then): a sweep
    /// that must not run twice at once. One process runs it in turn anyway.
    func exclusively<T: Sendable>(_ job: ExclusiveJob, _ body: @escaping @Sendable () async throws -> T) async throws -> T?
    /// Tells every instance on this database (this one too) that something for `key` was
    /// committed: PostgreSQL `NOTIFY`; nothing for SQLite, whose one process signals
    /// itself. Never throws: a lost announcement delays a waiter until its next look.
    func announce(_ announcement: PlatformAnnouncement) async
    /// Calls `heard` with every announcement, from this instance and the others, until
    /// the calling task is cancelled; `reconnected` after the database came back (what
    /// was announced while it was away is lost: waiters should look again). SQLite:
    /// returns when cancelled, having heard nothing.
    func listen(
        _ heard: @escaping @Sendable (PlatformAnnouncement) -> Void,
        reconnected: @escaping @Sendable () -> Void
    ) async
}
