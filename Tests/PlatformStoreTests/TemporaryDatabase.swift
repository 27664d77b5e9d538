import EndpointTestSupport
import Foundation
import PlatformStore

/// A fresh platform database on the engine `PlatformTestEngine.current` names: an SQLite
/// file in a new temporary directory, or a new database of the shared PostgreSQL cluster.
/// `reopen` closes it and opens the same one again, as a restarted platform would;
/// `remove` closes it and deletes the file or drops the database.
final class TemporaryDatabase: @unchecked Sendable {
    let engine = PlatformTestEngine.current
    /// SQLite's directory (made on PostgreSQL too, for files a test keeps beside it).
    let directory: String
    /// The PostgreSQL database's URL; nil on SQLite.
    let url: String?
    var database: any PlatformDatabase

    /// The SQLite file, for the tests of SQLite's own facts.
    var path: String { "\(directory)/platform.sqlite" }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        switch engine {
        case .sqlite:
            url = nil
            database = try await SQLitePlatformDatabase.open(path: "\(directory)/platform.sqlite")
        case .postgres:
            let url = try await PlatformTestEngine.databaseURL()
            self.url = url
            database = try await Self.openPostgres(url)
        }
    }

    /// A pool of `PlatformTestEngine.poolSize` on the database `url` names, migrated.
    static func openPostgres(_ url: String) async throws -> PostgresPlatformDatabase {
        try await PostgresPlatformDatabase.open(try PostgresLocation(parsing: url), password: nil, poolSize: PlatformTestEngine.poolSize)
    }

    func reopen() async throws {
        await database.close()
        if let url {
            database = try await Self.openPostgres(url)
        } else {
            database = try await SQLitePlatformDatabase.open(path: path)
        }
    }

    func remove() async {
        await database.close()
        if let url { await PlatformTestEngine.dropDatabase(url) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
