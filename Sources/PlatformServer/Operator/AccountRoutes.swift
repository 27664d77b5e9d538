import Foundation
import HTTPTypes
import Hummingbird
import PlatformStore

/// `POST /api/login`, `POST /api/logout`, and the admin's `GET|POST /api/accounts` and
/// `DELETE /api/accounts/{name}` (docs/platform.md, *Accounts and tokens*). Passwords are
/// read, hashed or verified, and dropped: no answer, log line or error holds one.
struct AccountRoutes {
    let platform: Platform
    let clock: OperatorClock
    let hasher: PasswordHasher

    var accounts: AccountStore { AccountStore(database: platform.database, maxAccounts: platform.settings.maxAccounts) }
    var failures: LoginFailureStore { LoginFailureStore(database: platform.database) }

    func add(to api: RouterGroup<PlatformContext>) {
        api.post("login", use: login)
        api.post("logout", use: logout)
        api.get("accounts", use: list)
        api.post("accounts", use: create)
        api.delete("accounts/:name", use: remove)
    }

    /// A login body: a name and a password of at most 1024 bytes, with room for escapes.
    static let bodyLimit = 16 << 10

    struct LoginBody: Decodable {
        let name: String
        let password: String
    }

    struct Issued: Encodable {
        let token: String
        let expires: String
    }

    @Sendable func login(_ request: Request, context: PlatformContext) async throws -> Response {
        let credentials = try await PlatformJSON.decode(LoginBody.self, from: request, upTo: Self.bodyLimit)
        if let problem = AccountRules.nameProblem(credentials.name) { throw PlatformRefusal(.badRequest, problem) }
        guard (1...AccountRules.passwordBytes.upperBound).contains(credentials.password.utf8.count) else {
            throw PlatformRefusal(.badRequest, "password: 1 to \(AccountRules.passwordBytes.upperBound) bytes")
        }
        let now = clock.now()
        let address = context.clientAddress(request, trustedProxies: platform.settings.trustedProxies) ?? "unknown"
        guard let attempt = try await failures.admit(name: credentials.name, address: address, now: now) else {
            context.logger.notice("Login throttled", metadata: ["account": "\(credentials.name)", "peer": "\(address)"])
            throw ThrottledLogin(name: credentials.name)
        }
        let account = try await accounts.account(credentials.name)
        let verified: Bool
        do {
            verified = try await hasher.verify(credentials.password, against: account?.passwordHash)
        } catch is PasswordHasher.Busy {
            try await failures.succeeded(attempt)
            throw BusyLogin()
        }
        guard verified, let account else {
            context.logger.notice("Login failed", metadata: ["account": "\(credentials.name)", "peer": "\(address)"])
            throw PlatformRefusal(.unauthorized, "name or password wrong")
        }
        try await failures.succeeded(attempt)
        let issued = try await platform.tokens.issue(for: account.name, lifetime: Int64(platform.settings.tokenHours) * 3_600_000, now: now)
        context.logger.info("Login", metadata: ["account": "\(account.name)", "peer": "\(address)"])
        return try PlatformJSON.response(Issued(token: issued.token, expires: ISOTime.text(issued.expires)))
    }

    @Sendable func logout(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        if let token = OperatorAuthentication.bearerToken(request) { try await platform.tokens.revoke(token) }
        return Response(status: .noContent)
    }

    /// An account as answered: never its hash.
    struct ListedAccount: Encodable {
        let name: String
        let role: String
        let created: String

        init(_ record: AccountRecord) {
            name = record.name
            role = record.role
            created = ISOTime.text(record.created)
        }
    }

    @Sendable func list(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.admin)
        return try PlatformJSON.response(try await accounts.all().map(ListedAccount.init))
    }

    struct NewAccount: Decodable {
        let name: String
        let role: String
        let password: String
    }

    @Sendable func create(_ request: Request, context: PlatformContext) async throws -> Response {
        let admin = try context.require(.admin)
        let new = try await PlatformJSON.decode(NewAccount.self, from: request, upTo: Self.bodyLimit)
        if let problem = AccountRules.nameProblem(new.name) { throw PlatformRefusal(.badRequest, problem) }
        guard AccountRules.role(new.role) != nil else { throw PlatformRefusal(.badRequest, AccountRules.roleProblem) }
        if let problem = AccountRules.passwordProblem(new.password) { throw PlatformRefusal(.badRequest, problem) }
        let hash: String
        do {
            hash = try await hasher.hash(new.password)
        } catch is PasswordHasher.Busy {
            throw BusyLogin()
        }
        let record: AccountRecord
        do {
            record = try await accounts.add(name: new.name, role: new.role, passwordHash: hash, now: clock.now())
        } catch let refusal as AccountStore.Refusal {
            throw PlatformRefusal(.conflict, refusal.description)
        }
        context.logger.info("Account added", metadata: ["account": "\(record.name)", "role": "\(record.role)", "by": "\(admin.name)"])
        return try PlatformJSON.response(ListedAccount(record), status: .created)
    }

    @Sendable func remove(_ request: Request, context: PlatformContext) async throws -> Response {
        let admin = try context.require(.admin)
        let name = try context.parameters.require("name")
        guard try await accounts.remove(name) else { throw PlatformRefusal(.notFound, "no account \(name)") }
        context.logger.info("Account removed", metadata: ["account": "\(name)", "by": "\(admin.name)"])
        return Response(status: .noContent)
    }
}

/// 429 with `Retry-After`: the name had its failures from this address within the minute.
struct ThrottledLogin: HTTPResponseError {
    let name: String
    var status: HTTPResponse.Status { .tooManyRequests }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try PlatformRefusal(status, "too many failed logins for \(name) from this address; wait a minute")
            .response(from: request, context: context)
        response.headers[.retryAfter] = "60"
        return response
    }
}

/// 503 with `Retry-After`: every password slot is taken (a flood of logins).
struct BusyLogin: HTTPResponseError {
    var status: HTTPResponse.Status { .serviceUnavailable }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try PlatformRefusal(status, "too many logins at once; retry").response(from: request, context: context)
        response.headers[.retryAfter] = "1"
        return response
    }
}
