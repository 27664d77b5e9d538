import SQLKit

/// The platform's database, whichever engine holds it. Every query of the platform goes
/// through `read` or `write` as SQLKit expressions or `raw` SQL that both engines speak
/// (`INSERT ... ON CONFLICT`, `RETURNING`, `LIMIT`), with snake_case names: the same text
/// serves SQLite now and PostgreSQL next (docs/platform.md, *Storage*).
public protocol PlatformDatabase: Sendable {
    /// Runs `body` with a connection for queries that change nothing.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed (durably, as the engine's settings say)
    /// when it returns, rolled back when it throws. A 2xx is answered only after this.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// What engine and where, for logs and `/metrics` (never a password).
    var summary: String { get }
    /// The bytes the database occupies, for `/metrics`; nil when unknown.
    func storeSize() async -> Int64?
    func close() async
}
