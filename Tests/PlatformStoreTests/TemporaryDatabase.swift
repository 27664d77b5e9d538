import Foundation
import PlatformStore

/// A platform database in a fresh temporary directory; `reopen` closes it and opens the
/// same file again, as a restarted platform would.
final class TemporaryDatabase: @unchecked Sendable {
    let directory: String
    var database: SQLitePlatformDatabase

    var path: String { "\(directory)/platform.sqlite" }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try await SQLitePlatformDatabase.open(path: "\(directory)/platform.sqlite")
    }

    func reopen() async throws {
        await database.close()
        database = try await SQLitePlatformDatabase.open(path: path)
    }

    func remove() async {
        await database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
