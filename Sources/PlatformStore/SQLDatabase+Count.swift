import SQLKit

extension SQLDatabase {
    /// The `n` of a `SELECT COUNT(*) AS n ...` query (0 for no row): every bound the
    /// stores keep is checked so.
    func count(_ query: SQLQueryString) async throws -> Int {
        try await raw(query).first(decodingColumn: "n", as: Int.self) ?? 0
    }
}
