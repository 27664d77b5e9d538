import Hummingbird

/// Reads `Authorization: Bearer <token>` on `/api/` routes and sets the context's account
/// when the token is valid; each route then asks for the role it needs
/// (`PlatformContext.require`), so a missing or bad token is a 401 there.
struct OperatorAuthentication: RouterMiddleware {
    typealias Context = PlatformContext
    let platform: Platform

    func handle(_ request: Request, context: PlatformContext, next: (Request, PlatformContext) async throws -> Response) async throws -> Response {
        var context = context
        if let value = request.headers[.authorization], value.hasPrefix("Bearer ") {
            let token = String(value.dropFirst("Bearer ".count))
            if let account = try await platform.tokens.account(for: token), let role = AccountRole(rawValue: account.role) {
                context.account = SignedInAccount(name: account.name, role: role)
            }
        }
        return try await next(request, context)
    }
}
