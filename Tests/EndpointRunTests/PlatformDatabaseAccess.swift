import Foundation
import PlatformStore
import SQLKit

/// What a test does straight in a platform's database: a viewer's token (the login route
/// and the account CLI have tests of their own). SQLite takes a second process's write
/// while the platform serves (it waits for the lock up to 5 s).
enum PlatformDatabaseAccess {
    /// A bearer token of a new viewer account in `database`.
    static func viewerToken(in database: any PlatformDatabase) async throws -> String {
        let name = "viewer-\(UUID().uuidString.prefix(8))"
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO accounts (name, role, password_hash, created) VALUES (\(bind: name), 'viewer', 'not-a-hash', \(bind: Clock.milliseconds()))"
            ).run()
        }
        return try await TokenStore(database: database).issue(for: name, lifetime: 3_600_000).token
    }

    /// The same, in the SQLite file at `path` (opened for this and closed again).
    static func viewerToken(databaseAt path: String) async throws -> String {
        let database = try await SQLitePlatformDatabase.open(path: path)
        do {
            let token = try await viewerToken(in: database)
            await database.close()
            return token
        } catch {
            await database.close()
            throw error
        }
    }
}
