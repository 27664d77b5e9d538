import Crypto
import Foundation
import SQLKit

/// Bearer tokens: 256 random bits given once to the client, kept only as their SHA-256,
/// each for one account until it expires or is logged out.
public struct TokenStore: Sendable {
    public let database: any PlatformDatabase

    public init(database: any PlatformDatabase) {
        self.database = database
    }

    /// A new token for `account`, valid `lifetime` milliseconds; the text is returned
    /// once and never stored.
    public func issue(for account: String, lifetime: Int64, now: Int64 = Clock.milliseconds()) async throws -> (token: String, expires: Int64) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        let expires = now + lifetime
        try await database.write { sql in
            try await sql.raw("DELETE FROM tokens WHERE expires < \(bind: now)").run()
            try await sql.raw(
                "INSERT INTO tokens (hash, account, created, expires) VALUES (\(bind: Self.hash(token)), \(bind: account), \(bind: now), \(bind: expires))"
            ).run()
        }
        return (token, expires)
    }

    /// The account and role a token proves, nil when unknown, expired, or its account is gone.
    public func account(for token: String, now: Int64 = Clock.milliseconds()) async throws -> AccountRecord? {
        guard token.utf8.count == 64 else { return nil }
        let hash = Self.hash(token)
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT accounts.* FROM tokens JOIN accounts ON accounts.name = tokens.account
                WHERE tokens.hash = \(bind: hash) AND tokens.expires > \(bind: now)
                """
            ).first(decoding: AccountRecord.self, with: .platform)
        }
    }

    /// Ends a token at once (logout).
    public func revoke(_ token: String) async throws {
        let hash = Self.hash(token)
        try await database.write { sql in try await sql.raw("DELETE FROM tokens WHERE hash = \(bind: hash)").run() }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
