import ArgumentParser
import Foundation
import Logging
import PlatformServer
import PlatformStore

/// `lambda-platform account add|remove|list --config DIR`: the operator accounts, in the
/// database platform.yml names. Safe while the platform serves: SQLite waits up to 5 s
/// for the other process's lock.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Add, remove or list the accounts of the operator API.",
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account; its password is the first line of standard input (8-1024 bytes)."
        )
        @Argument(help: "1-64 of [A-Za-z0-9._-].") var name: String
        @Option(help: "admin, operator or viewer.") var role: String
        @Option(help: "The configuration directory holding platform.yml.") var config = "/etc/lambda-platform"

        func run() async throws {
            if let problem = AccountRules.nameProblem(name) { fail(problem) }
            guard AccountRules.role(role) != nil else { fail(AccountRules.roleProblem) }
            guard let password = readLine(strippingNewline: true) else { fail("password: expected on standard input (its first line)") }
            if let problem = AccountRules.passwordProblem(password) { fail(problem) }
            let settings = try loadSettings(config)
            let database = try await openDatabase(settings)
            let hash = try await PasswordHasher().hash(password)
            do {
                _ = try await AccountStore(database: database, maxAccounts: settings.maxAccounts).add(name: name, role: role, passwordHash: hash)
            } catch let refusal as AccountStore.Refusal {
                await database.close()
                fail(refusal.description)
            }
            await database.close()
            print("account \(name) added (\(role))")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account; its tokens end at once.")
        @Argument var name: String
        @Option(help: "The configuration directory holding platform.yml.") var config = "/etc/lambda-platform"

        func run() async throws {
            let database = try await openDatabase(try loadSettings(config))
            let removed = try await AccountStore(database: database).remove(name)
            await database.close()
            guard removed else { fail("no account \(name)") }
            print("account \(name) removed")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts (never their password hashes).")
        @Option(help: "The configuration directory holding platform.yml.") var config = "/etc/lambda-platform"
        @Flag(help: "JSON for scripts: [{\"name\", \"role\", \"created\"}].") var json = false

        struct Listed: Encodable {
            let name: String
            let role: String
            let created: String
        }

        func run() async throws {
            let database = try await openDatabase(try loadSettings(config))
            let accounts = try await AccountStore(database: database).all()
            await database.close()
            let listed = accounts.map { Listed(name: $0.name, role: $0.role, created: ISOTime.text($0.created)) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(listed), as: UTF8.self))
            } else {
                print(TextTable(headers: ["NAME", "ROLE", "CREATED"], rows: listed.map { [$0.name, $0.role, $0.created] }).text, terminator: "")
            }
        }
    }
}

/// platform.yml of `config`, or the one-line error and exit 1.
func loadSettings(_ config: String) throws -> PlatformSettings {
    do {
        return try PlatformSettings.load(directory: config)
    } catch {
        fail("\(error)")
    }
}

/// The database platform.yml names, opened (and migrated) as `serve` opens it.
func openDatabase(_ settings: PlatformSettings) async throws -> any PlatformDatabase {
    var logger = Logger(label: "lambda-platform")
    logger.logLevel = .error
    do {
        return try await PlatformDatabaseOpening.open(settings, logger: logger)
    } catch {
        fail("\(error)")
    }
}

/// One line on standard error, exit status 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lambda-platform: \(message)\n".utf8))
    exit(1)
}
