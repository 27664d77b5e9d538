import Foundation
import Hummingbird

/// Refuses (415) a state-changing `/api/` request with a body that is not
/// `Content-Type: application/json`: an HTML form of another site can only send
/// form or text bodies, so with the bearer token (never a cookie) this closes that door twice.
struct JSONBodyRequirement: RouterMiddleware {
    typealias Context = PlatformContext

    func handle(_ request: Request, context: PlatformContext, next: (Request, PlatformContext) async throws -> Response) async throws -> Response {
        if [.post, .put, .patch, .delete].contains(request.method), Self.hasBody(request), !Self.isJSON(request.headers[.contentType]) {
            throw PlatformRefusal(.unsupportedMediaType, "Content-Type: application/json expected for a body")
        }
        return try await next(request, context)
    }

    static func hasBody(_ request: Request) -> Bool {
        if request.headers[.transferEncoding] != nil { return true }
        guard let length = request.headers[.contentLength] else { return false }
        return length != "0"
    }

    /// `application/json`, with parameters (`; charset=utf-8`) or not, in any case.
    static func isJSON(_ value: String?) -> Bool {
        guard let value else { return false }
        let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return type == "application/json"
    }
}
