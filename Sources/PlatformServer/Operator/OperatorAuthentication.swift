import Hummingbird

/// Reads `Authorization: Bearer <token>` on `/api/` routes and sets the context's account
/// when the token is valid; each route then asks for the role it needs
/// (`PlatformContext.require`), so a missing or bad token is a 401 there.
///
/// Tokens come from this header alone, never from a cookie: a cross-site form or link
/// cannot carry one, so no state changes from another site's page.
struct OperatorAuthentication: RouterMiddleware {
    typealias Context = PlatformContext
    let platform: Platform
    var clock: OperatorClock = .system

    func handle(_ request: Request, context: PlatformContext, next: (Request, PlatformContext) async throws -> Response) async throws -> Response {
        var context = context
        if let token = Self.bearerToken(request) {
            if let account = try await platform.tokens.account(for: token, now: clock.now()), let role = AccountRole(rawValue: account.role) {
                context.account = SignedInAccount(name: account.name, role: role)
            }
        }
        return try await next(request, context)
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst("Bearer ".count))
    }
}
