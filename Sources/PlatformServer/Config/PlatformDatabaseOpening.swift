import Foundation
import Logging
import PlatformStore

/// The database platform.yml's `database` names, opened and migrated: an SQLite file, or
/// a PostgreSQL database shared with other instances.
public enum PlatformDatabaseOpening {
    public static func open(
        _ settings: PlatformSettings,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) async throws -> any PlatformDatabase {
        do {
            if PostgresLocation.names(settings.database) {
                let location = try PostgresLocation(parsing: settings.database)
                return try await PostgresPlatformDatabase.open(
                    location,
                    password: try password(settings, environment: environment),
                    poolSize: settings.databasePoolSize,
                    logger: logger
                )
            }
            guard let path = settings.sqlitePath else { throw PlatformSettingsError("database: expected a file path or postgres://...") }
            return try await SQLitePlatformDatabase.open(path: path, logger: logger)
        } catch let error as PlatformSettingsError {
            throw error
        } catch let error as PlatformStoreError {
            // Its text starts with "database: " already.
            throw PlatformSettingsError("platform.yml: \(error)")
        } catch {
            throw PlatformSettingsError("platform.yml: database: \(error)")
        }
    }

    /// `database-password-file` (relative to the config directory, mode 0600, one line),
    /// else `PGPASSWORD`, else none (trust or certificate authentication).
    static func password(_ settings: PlatformSettings, environment: [String: String]) throws -> String? {
        guard let file = settings.databasePasswordFile else { return environment["PGPASSWORD"] }
        let path = file.hasPrefix("/") ? file : "\(settings.directory)/\(file)"
        do {
            let password = try EndpointCredentials.readPrivateLine(path)
            guard !password.isEmpty else { throw PlatformSettingsError("platform.yml: database-password-file: \(path) is empty") }
            return password
        } catch let error as EndpointCredentials.LoadError {
            throw PlatformSettingsError("platform.yml: database-password-file: \(error)")
        }
    }
}
