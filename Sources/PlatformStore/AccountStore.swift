import Foundation
import SQLKit

/// The operator accounts: a name, a role and an argon2id hash of the password (computed
/// by the caller: this store never sees a password). At most `maxAccounts` rows.
public struct AccountStore: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case exists(String)
        case full(limit: Int)

        public var description: String {
            switch self {
            case .exists(let name): return "name: account \(name) exists already"
            case .full(let limit): return "the platform holds \(limit) accounts (max-accounts); remove one first"
            }
        }
    }

    public let database: any PlatformDatabase
    public let maxAccounts: Int

    public init(database: any PlatformDatabase, maxAccounts: Int = 1000) {
        self.database = database
        self.maxAccounts = maxAccounts
    }

    /// Adds an account; committed when it returns. Refused when the name is taken or
    /// `maxAccounts` are held.
    public func add(name: String, role: String, passwordHash: String, now: Int64 = Clock.milliseconds()) async throws -> AccountRecord {
        let record = AccountRecord(name: name, role: role, passwordHash: passwordHash, created: now)
        let limit = maxAccounts
        try await database.write { sql in
            if try await sql.raw("SELECT name FROM accounts WHERE name = \(bind: name)").first() != nil { throw Refusal.exists(name) }
            let count = try await sql.count("SELECT COUNT(*) AS n FROM accounts")
            guard count < limit else { throw Refusal.full(limit: limit) }
            try await sql.raw(
                "INSERT INTO accounts (name, role, password_hash, created) VALUES (\(bind: name), \(bind: role), \(bind: passwordHash), \(bind: now))"
            ).run()
        }
        return record
    }

    /// Removes an account and ends its tokens in the same transaction; false when unknown.
    public func remove(_ name: String) async throws -> Bool {
        try await database.write { sql in
            guard try await sql.raw("SELECT name FROM accounts WHERE name = \(bind: name)").first() != nil else { return false }
            try await sql.raw("DELETE FROM tokens WHERE account = \(bind: name)").run()
            try await sql.raw("DELETE FROM accounts WHERE name = \(bind: name)").run()
            return true
        }
    }

    /// Every account, by name.
    public func all() async throws -> [AccountRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM accounts ORDER BY name").all(decoding: AccountRecord.self, with: .platform)
        }
    }

    public func account(_ name: String) async throws -> AccountRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM accounts WHERE name = \(bind: name)").first(decoding: AccountRecord.self, with: .platform)
        }
    }

    public func count() async throws -> Int {
        try await database.read { sql in
            try await sql.count("SELECT COUNT(*) AS n FROM accounts")
        }
    }
}
