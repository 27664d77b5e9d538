import Logging
import PlatformStore

/// The database platform.yml's `database` names, opened and migrated.
public enum PlatformDatabaseOpening {
    public static func open(_ settings: PlatformSettings, logger: Logger) async throws -> any PlatformDatabase {
        guard let path = settings.sqlitePath else {
            throw PlatformSettingsError(
                "platform.yml: database: \(settings.database.prefix(11))...: PostgreSQL comes with issue \"postgres\"; give a file path"
            )
        }
        do {
            return try await SQLitePlatformDatabase.open(path: path, logger: logger)
        } catch {
            throw PlatformSettingsError("platform.yml: database: \(error)")
        }
    }
}
