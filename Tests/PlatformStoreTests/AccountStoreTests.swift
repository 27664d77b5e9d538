import Foundation
import PlatformStore
import Testing

@Suite("Accounts in the platform's database: unique names, bounded, tokens ending with their account")
struct AccountStoreTests {
    @Test("Added, listed by name, found; a taken name and a full table are refused and change nothing")
    func addAndRefusals() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = AccountStore(database: temporary.database, maxAccounts: 2)
        _ = try await store.add(name: "zoe", role: "viewer", passwordHash: "$argon2id$hash-z", now: 1000)
        _ = try await store.add(name: "adam", role: "admin", passwordHash: "$argon2id$hash-a", now: 2000)
        #expect(try await store.all().map(\.name) == ["adam", "zoe"])
        let zoe = try #require(try await store.account("zoe"))
        #expect(zoe.name == "zoe" && zoe.role == "viewer" && zoe.passwordHash == "$argon2id$hash-z" && zoe.created == 1000)
        await #expect(throws: AccountStore.Refusal.exists("zoe")) {
            try await store.add(name: "zoe", role: "admin", passwordHash: "other", now: 3000)
        }
        await #expect(throws: AccountStore.Refusal.full(limit: 2)) {
            try await store.add(name: "third", role: "viewer", passwordHash: "h", now: 3000)
        }
        #expect(try await store.count() == 2)
        #expect(try await store.account("zoe")?.role == "viewer")
    }

    @Test("Removing an account ends its tokens in the same transaction; an unknown name is false")
    func removeEndsTokens() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = AccountStore(database: temporary.database)
        let tokens = TokenStore(database: temporary.database)
        _ = try await store.add(name: "ops", role: "operator", passwordHash: "h")
        let issued = try await tokens.issue(for: "ops", lifetime: 60_000)
        #expect(try await tokens.account(for: issued.token)?.name == "ops")
        #expect(try await store.remove("ops"))
        #expect(try await tokens.account(for: issued.token) == nil)
        #expect(try await !store.remove("ops"))
        // Re-created under the same name, the old token still proves nothing.
        _ = try await store.add(name: "ops", role: "admin", passwordHash: "h2")
        #expect(try await tokens.account(for: issued.token) == nil)
    }

    @Test("A token expires: valid until its lifetime has passed, not after")
    func tokenExpiry() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        _ = try await AccountStore(database: temporary.database).add(name: "v", role: "viewer", passwordHash: "h", now: 0)
        let tokens = TokenStore(database: temporary.database)
        let issued = try await tokens.issue(for: "v", lifetime: 1000, now: 5000)
        #expect(issued.expires == 6000)
        #expect(try await tokens.account(for: issued.token, now: 5999)?.name == "v")
        #expect(try await tokens.account(for: issued.token, now: 6000) == nil)
    }
}

@Suite("Login failures: counted before the check, taken back when right, bounded")
struct LoginFailureStoreTests {
    @Test("Five attempts within the window are admitted, the sixth is not; one taken back makes room; the window passes")
    func throttle() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = LoginFailureStore(database: temporary.database, window: 60_000, limit: 5)
        var attempts: [LoginFailureStore.Attempt] = []
        for second in 0..<5 {
            attempts.append(try #require(try await store.admit(name: "ann", address: "10.0.0.1", now: Int64(second) * 1000)))
        }
        #expect(try await store.admit(name: "ann", address: "10.0.0.1", now: 5000) == nil)
        // Another name, or the same name from another address, is not throttled.
        #expect(try await store.admit(name: "bob", address: "10.0.0.1", now: 5000) != nil)
        #expect(try await store.admit(name: "ann", address: "10.0.0.2", now: 5000) != nil)
        try await store.succeeded(attempts[4])
        #expect(try await store.admit(name: "ann", address: "10.0.0.1", now: 6000) != nil)
        #expect(try await store.admit(name: "ann", address: "10.0.0.1", now: 59_999) == nil)
        // The first failure (at 0) leaves the window at 60 000.
        #expect(try await store.admit(name: "ann", address: "10.0.0.1", now: 60_000) != nil)
    }

    @Test("A flood of attempts keeps at most `limit` rows per key, and rows out of the window are pruned")
    func bounded() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = LoginFailureStore(database: temporary.database, window: 60_000, limit: 5)
        for index in 0..<200 {
            _ = try await store.admit(name: "ann", address: "10.0.0.1", now: Int64(index))
        }
        #expect(try await store.count() == 5)
        for index in 0..<20 {
            _ = try await store.admit(name: "user\(index)", address: "10.0.0.\(index)", now: 1000)
        }
        #expect(try await store.count() == 25)
        _ = try await store.admit(name: "late", address: "10.0.0.9", now: 120_000)
        #expect(try await store.count() == 1)
    }
}
