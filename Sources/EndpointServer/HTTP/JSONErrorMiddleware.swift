import Hummingbird
import Logging

/// Outermost middleware: whatever a route, another middleware or the router throws
/// leaves as an `APIError`, so every error response has the same JSON shape. An
/// unexpected error is logged and answered 500 without its details.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, error.body ?? Self.defaultMessage(for: error.status, request: request), headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, Self.defaultMessage(for: error.status, request: request))
        } catch {
            context.logger.error(
                "Unexpected error while answering a request",
                metadata: [
                    "http.path": "\(request.uri.path)", "error.type": "\(type(of: error))",
                ]
            )
            throw APIError(.internalServerError, "internal error; see the endpoint's log")
        }
    }

    static func defaultMessage(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: return "no route \(request.method) \(request.uri.path)"
        case .contentTooLarge: return "request body is too large"
        default: return status.reasonPhrase
        }
    }
}
