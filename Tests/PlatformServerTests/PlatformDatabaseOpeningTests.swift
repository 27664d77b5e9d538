import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import Testing

/// The PostgreSQL password from `database-password-file` (mode 0600) or `PGPASSWORD`,
/// against a real role that must give it (docs/platform.md, *More than one instance*): the
/// right one opens, a wrong one fails with a text that names the cause and never the
/// password.
@Suite struct PlatformDatabaseOpeningTests {
    /// A fresh database owned by a new role whose password is `password`; the settings
    /// naming it, with the config directory a new temporary one.
    struct PasswordDatabase {
        let cluster: PostgresCluster
        let url: String
        let password = "pw-\(UUID().uuidString)"
        var settings = PlatformSettings()

        init() async throws {
            cluster = try await PostgresCluster.shared()
            url = try await cluster.databaseOwned(byRoleWithPassword: password, rolePrefix: "role")
            settings.database = url
            settings.databasePoolSize = 4
            settings.directory = FileManager.default.temporaryDirectory.appendingPathComponent("opening-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: settings.directory, withIntermediateDirectories: true)
        }

        /// `database-password-file: db-password` holding `text` and a newline, of `mode`.
        mutating func passwordFile(_ text: String, mode: Int) throws {
            let path = settings.directory + "/db-password"
            try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            settings.databasePasswordFile = "db-password"
        }

        func open(environment: [String: String] = [:]) async throws -> any PlatformDatabase {
            try await PlatformDatabaseOpening.open(settings, environment: environment, logger: .init(label: "opening-test"))
        }

        /// The error opening fails with, checked to hold neither password.
        func failure(environment: [String: String] = [:], notContaining secrets: [String]) async -> String {
            let started = ContinuousClock.now
            do {
                let database = try await open(environment: environment)
                await database.close()
                Issue.record("opened")
                return ""
            } catch {
                let text = "\(error)"
                for secret in secrets { #expect(!text.contains(secret), "the error text holds a password: \(text)") }
                // Refused at once, not after the pool's retries.
                #expect(ContinuousClock.now - started < .seconds(10), "\(text)")
                return text
            }
        }

        func remove() async {
            try? FileManager.default.removeItem(atPath: settings.directory)
            try? await cluster.dropDatabase(url)
        }
    }

    @Test func theRightPasswordFromAFileOfMode0600Opens() async throws {
        let made = try await PasswordDatabase()
        defer { Task { await made.remove() } }
        var place = made
        try place.passwordFile(place.password, mode: 0o600)
        // PGPASSWORD, wrong, is not used when the file is set.
        let database = try await place.open(environment: ["PGPASSWORD": "not-\(place.password)"])
        #expect(try await PlatformSchema.version(of: database) == PlatformSchema.latestVersion)
        #expect(database.isShared)
        await database.close()
    }

    @Test func aFileOthersMayReadIsRefusedBeforeAnyConnection() async throws {
        let made = try await PasswordDatabase()
        defer { Task { await made.remove() } }
        var place = made
        try place.passwordFile(place.password, mode: 0o644)
        let text = await place.failure(notContaining: [place.password])
        #expect(text.hasPrefix("platform.yml: database-password-file: \(place.settings.directory)/db-password"), "\(text)")
        #expect(text.contains("readable by its group or others (mode 644); chmod 600 it"), "\(text)")
    }

    @Test func anEmptyOrMissingFileIsRefused() async throws {
        let made = try await PasswordDatabase()
        defer { Task { await made.remove() } }
        var place = made
        try place.passwordFile("", mode: 0o600)
        #expect(await place.failure(notContaining: []) == "platform.yml: database-password-file: \(place.settings.directory)/db-password is empty")
        place.settings.databasePasswordFile = "absent"
        let missing = await place.failure(notContaining: [])
        #expect(missing.hasPrefix("platform.yml: database-password-file: \(place.settings.directory)/absent: cannot read it"), "\(missing)")
    }

    @Test func aWrongPasswordFromTheFileFailsNamingTheCause() async throws {
        let made = try await PasswordDatabase()
        defer { Task { await made.remove() } }
        var place = made
        let wrong = "wrong-\(UUID().uuidString)"
        try place.passwordFile(wrong, mode: 0o600)
        let text = await place.failure(notContaining: [wrong, place.password])
        let summary = try PostgresLocation(parsing: place.url).summary
        #expect(text.hasPrefix("platform.yml: database: \(summary): password authentication failed for user"), "\(text)")
    }

    @Test func thePasswordFromPGPASSWORD() async throws {
        let place = try await PasswordDatabase()
        defer { Task { await place.remove() } }
        let database = try await place.open(environment: ["PGPASSWORD": place.password])
        #expect(try await PlatformSchema.version(of: database) == PlatformSchema.latestVersion)
        await database.close()
        let wrong = "wrong-\(UUID().uuidString)"
        let text = await place.failure(environment: ["PGPASSWORD": wrong], notContaining: [wrong, place.password])
        #expect(text.contains("password authentication failed"), "\(text)")
        // None at all: the server asks for one.
        let none = await place.failure(notContaining: [place.password])
        #expect(none.hasSuffix(": the server asks for a password and none was given (database-password-file or PGPASSWORD)"), "\(none)")
    }
}
