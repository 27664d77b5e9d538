import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of every platform route: who signed in (set by the bearer-token
/// middleware on `/api/` routes), and the connection's peer (the login throttle's key).
public struct PlatformContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The account whose token the request carried; nil before the middleware ran or
    /// without a valid token.
    public var account: SignedInAccount?
    /// The peer's address, without the port ("127.0.0.1"); nil when unknown.
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    public var responseEncoder: JSONEncoder { PlatformJSON.encoder }

    /// Who the client is: the connection's peer, or, when that peer is one of
    /// `trustedProxies` (a load balancer), the last entry of `X-Forwarded-For` (the one
    /// that balancer added; entries before it are whatever the client wrote).
    public func clientAddress(_ request: Request, trustedProxies: [String]) -> String? {
        guard let peerAddress, trustedProxies.contains(peerAddress) else { return peerAddress }
        guard let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last,
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            IPAddressText.isValid(last)
        else { return peerAddress }
        return last
    }

    /// The account signed in with at least `role`: 401 without a valid token, 403 when
    /// its role may not.
    public func require(_ role: AccountRole) throws -> SignedInAccount {
        guard let account else { throw PlatformRefusal(.unauthorized, "sign in: Authorization: Bearer <token> from POST /api/login") }
        guard account.role >= role else {
            throw PlatformRefusal(.forbidden, "account \(account.name) is \(account.role.rawValue); this needs \(role.rawValue)")
        }
        return account
    }
}

/// What an account may do: a viewer reads; an operator also runs sessions and runs; an
/// admin also manages accounts and endpoints.
public enum AccountRole: String, Codable, Sendable, Comparable, CaseIterable {
    case viewer
    case `operator`
    case admin

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: AccountRole, rhs: AccountRole) -> Bool { lhs.rank < rhs.rank }
}

/// An account a request proved with its token.
public struct SignedInAccount: Sendable, Equatable {
    public let name: String
    public let role: AccountRole

    public init(name: String, role: AccountRole) {
        self.name = name
        self.role = role
    }
}
