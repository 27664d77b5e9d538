import Foundation
import Hummingbird

/// An error the platform's routes answer with: a status and `{"error": "<what is wrong>"}`,
/// the same shape as the endpoint's own errors, so one client reads both.
public struct PlatformRefusal: HTTPResponseError {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var headers: HTTPFields { [:] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try PlatformJSON.encoder.encode(["error": message])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
