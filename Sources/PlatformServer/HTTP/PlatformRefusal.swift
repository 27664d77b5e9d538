import Foundation
import Hummingbird

/// An error the platform's routes answer with: a status and `{"error": "<what is wrong>"}`,
/// the same shape as the endpoint's own errors, so one client reads both.
public struct PlatformRefusal: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let message: String
    /// Seconds after which a retry may succeed (`Retry-After`), for a 503.
    public let retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var headers: HTTPFields { retryAfter.map { [.retryAfter: "\($0)"] } ?? [:] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try PlatformJSON.encoder.encode(["error": message])
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
