import EndpointTestSupport
import Foundation
import Logging
import PlatformServer
import PlatformStore
import SQLKit

/// What a test does straight in a platform's database: a token of a new account (the
/// login route and the account CLI have tests of their own). SQLite takes a second
/// process's write while the platform serves (it waits for the lock up to 5 s);
/// PostgreSQL is shared by design.
enum PlatformDatabaseAccess {
    /// A bearer token of a new account of `role` in `database`.
    static func token(role: String = "viewer", in database: any PlatformDatabase) async throws -> String {
        let name = "\(role)-\(UUID().uuidString.prefix(8))"
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO accounts (name, role, password_hash, created) VALUES (\(bind: name), \(bind: role), 'not-a-hash', \(bind: Clock.milliseconds()))"
            ).run()
        }
        return try await TokenStore(database: database).issue(for: name, lifetime: 3_600_000).token
    }

    /// The same, in the database of the real `lambda-platform` `platform` (its SQLite file
    /// or its PostgreSQL database, opened for this and closed again): a token every
    /// instance on that database takes.
    static func token(role: String = "viewer", of platform: PlatformProcess) async throws -> String {
        var settings = PlatformSettings()
        settings.directory = platform.directory
        settings.database = platform.database ?? platform.databasePath
        settings.databasePoolSize = 4
        let database = try await PlatformDatabaseOpening.open(settings, logger: Logger(label: "test-database-access"))
        do {
            let token = try await token(role: role, in: database)
            await database.close()
            return token
        } catch {
            await database.close()
            throw error
        }
    }
}
