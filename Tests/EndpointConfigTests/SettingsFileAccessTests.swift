import EndpointConfig
import EndpointStorage
import EndpointTestSupport
import Foundation
import Testing

@Suite("Settings file permissions")
struct SettingsFileAccessTests {
    func withSettingsFile(mode: mode_t, owner: uid_t? = nil, _ body: (String) throws -> Void) throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let path = directory.lambdaSettingsFile
        #expect(chmod(path, mode) == 0)
        if let owner { #expect(chown(path, owner, 0) == 0) }
        try body(path)
    }

    @Test("0600 is fine; group-readable warns; readable or writable by others, or group-writable, is refused")
    func modes() throws {
        try withSettingsFile(mode: 0o600) { #expect(SettingsFileAccess.check(path: $0) == .fine) }
        try withSettingsFile(mode: 0o400) { #expect(SettingsFileAccess.check(path: $0) == .fine) }
        try withSettingsFile(mode: 0o640) { path in
            #expect(SettingsFileAccess.check(path: path) == .warning("\(path) is readable by its group (mode 0640); it holds the secret"))
        }
        try withSettingsFile(mode: 0o644) { path in
            #expect(
                SettingsFileAccess.check(path: path)
                    == .refused("\(path) is readable by every user (mode 0644); it holds the secret. chmod 600 \(path)")
            )
        }
        try withSettingsFile(mode: 0o620) { path in
            #expect(
                SettingsFileAccess.check(path: path)
                    == .refused("\(path) is writable by its group (mode 0620); it names the programs run as root. chmod 600 \(path)")
            )
        }
        try withSettingsFile(mode: 0o602) { path in
            #expect(
                SettingsFileAccess.check(path: path)
                    == .refused("\(path) is writable by every user (mode 0602); it names the programs run as root. chmod 600 \(path)")
            )
        }
    }

    @Test("A file owned by another non-root user is refused; root's file is accepted for any endpoint user")
    func owner() throws {
        try withSettingsFile(mode: 0o600, owner: 65534) { path in
            #expect(
                SettingsFileAccess.check(path: path, endpointUID: 0)
                    == .refused(
                        "\(path) belongs to uid 65534, neither root nor this endpoint's user (uid 0); it names the programs run as root. chown it"
                    )
            )
            #expect(SettingsFileAccess.check(path: path, endpointUID: 65534) == .fine)
        }
        try withSettingsFile(mode: 0o600, owner: 0) { path in
            #expect(SettingsFileAccess.check(path: path, endpointUID: 1000) == .fine)
        }
        #expect(
            SettingsFileAccess.check(path: "/nonexistent/lambda-settings.yml")
                == .refused("/nonexistent/lambda-settings.yml: cannot stat: No such file or directory")
        )
    }

    @Test("settings.yml: readable is fine, group- or world-writable is refused; the database: world-readable warns, writable is refused")
    func serverSettingsAndDatabase() throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let settings = directory.settingsFile
        #expect(chmod(settings, 0o644) == 0)
        #expect(SettingsFileAccess.check(path: settings, contents: .serverSettings) == .fine)
        #expect(chmod(settings, 0o664) == 0)
        #expect(
            SettingsFileAccess.check(path: settings, contents: .serverSettings)
                == .refused("\(settings) is writable by its group (mode 0664); it chooses the database and the TLS key. chmod 600 \(settings)")
        )
        let database = directory.databaseFile
        #expect(FileManager.default.createFile(atPath: database, contents: nil))
        #expect(chmod(database, 0o644) == 0)
        #expect(
            SettingsFileAccess.check(path: database, contents: .database)
                == .warning("\(database) is readable by every user (mode 0644); it holds templates and the tracers' stderr")
        )
        #expect(chmod(database, 0o606) == 0)
        #expect(
            SettingsFileAccess.check(path: database, contents: .database)
                == .refused(
                    "\(database) is writable by every user (mode 0606); it holds the run files the endpoint reads and removes, and the templates it runs as root. chmod 600 \(database)"
                )
        )
        let all = SettingsFileAccess.checkAll(configDirectory: directory.path, databasePath: database)
        #expect(all.count == 3 && all[2] != .fine)
        #expect(SettingsFileAccess.checkAll(configDirectory: directory.path, databasePath: directory.path + "/not-yet.sqlite3").count == 2)
    }

    @Test("A new database file is created private to its owner (0600), -wal and -shm too")
    func newDatabaseIsPrivate() throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let previous = umask(0o022)
        defer { umask(previous) }
        _ = try EndpointDatabase(path: directory.databaseFile, poolSize: 2)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: directory.databaseFile + suffix) {
            var info = stat()
            #expect(stat(directory.databaseFile + suffix, &info) == 0)
            #expect(info.st_mode & 0o077 == 0, "\(suffix): mode \(String(info.st_mode & 0o777, radix: 8))")
        }
    }
}
