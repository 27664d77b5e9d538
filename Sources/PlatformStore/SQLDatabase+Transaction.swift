import SQLKit

extension SQLDatabase {
    /// `body` between `begin` (each engine's own BEGIN) and COMMIT, rolled back when it
    /// throws: the one transaction of `PlatformDatabase.write` on either engine.
    func transaction<T: Sendable>(_ begin: SQLQueryString, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await raw(begin).run()
        do {
            let value = try await body(self)
            try await raw("COMMIT").run()
            return value
        } catch {
            try? await raw("ROLLBACK").run()
            throw error
        }
    }
}
