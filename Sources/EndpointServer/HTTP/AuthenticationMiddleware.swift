import EndpointCore
import Hummingbird

/// Lets a request through only when its `Authorization` header is this endpoint's
/// (see `RequestAuthenticator`): 401 otherwise, 503 when verifications are saturated.
public struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: RequestAuthenticator
    let metrics: EndpointMetrics?

    public init(authenticator: RequestAuthenticator, metrics: EndpointMetrics? = nil) {
        self.authenticator = authenticator
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let headerValue = request.headers[.authorization]
        if authenticator.isRemembered(headerValue) {
            return try await next(request, context)
        }
        switch await authenticator.authenticate(headerValue) {
        case .accepted:
            return try await next(request, context)
        case .rejected(let reason):
            metrics?.authenticationRejected()
            context.logger.notice("Request refused: not authenticated", metadata: ["http.path": "\(request.uri.path)", "auth.reason": "\(reason)"])
            throw APIError(.unauthorized, reason)
        case .busy:
            metrics?.authenticationBusy()
            throw APIError(.serviceUnavailable, "too many authentications in progress; retry shortly", headers: [.retryAfter: "1"])
        }
    }
}
