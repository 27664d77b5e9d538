import Hummingbird
import PlatformStore

/// Answers 503 with `Retry-After` for any request that needed the database while it
/// could not be reached (`PlatformStoreError.unavailable`): nothing of the request was
/// acknowledged, so an endpoint retries it and an operator's client may too. The
/// platform itself needs no restart: the next request finds the database again.
struct DatabaseOutageAnswer: RouterMiddleware {
    typealias Context = PlatformContext
    /// An endpoint's own retry backs off from 1 s anyway; this tells other clients.
    static let retryAfterSeconds = 2

    func handle(_ request: Request, context: PlatformContext, next: (Request, PlatformContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PlatformStoreError {
            guard case .unavailable = error else { throw error }
            context.logger.warning("Database unavailable", metadata: ["error": "\(error)"])
            throw PlatformRefusal(.serviceUnavailable, "\(error); retry", retryAfter: Self.retryAfterSeconds)
        }
    }
}
