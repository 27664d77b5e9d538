import EndpointCore
import Foundation
import Hummingbird

/// Every error the API answers with: a status and `{"error": "<human readable>"}`.
public struct APIError: HTTPResponseError, Equatable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    struct Body: Encodable {
        let error: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try EndpointRequestContext.encoder.encode(Body(error: message))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        // An error thrown under a generated HEAD route leaves the router as an error,
        // not through the route's own HEAD answer: drop its body here.
        return request.method == .head ? response.createHeadResponse() : response
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
}

extension APIError {
    /// A refused start, answered with the status its kind asks for.
    init(_ refusal: StartRefusal) {
        switch refusal.answer {
        case .badRequest: self.init(.badRequest, refusal.message)
        case .notFound: self.init(.notFound, refusal.message)
        case .tooManyRequests: self.init(.tooManyRequests, refusal.message)
        case .unavailable(let retryAfter): self.init(.serviceUnavailable, refusal.message, headers: retryAfter.map { [.retryAfter: "\($0)"] } ?? [:])
        case .internalError: self.init(.internalServerError, refusal.message)
        }
    }

    /// A binary that could not be inspected: 400 for a stuck read, 503 when every
    /// inspection thread is busy.
    init(_ failure: BinaryInspectionFailure) {
        if let retryAfter = failure.retryAfterSeconds {
            self.init(.serviceUnavailable, failure.message, headers: [.retryAfter: "\(retryAfter)"])
        } else {
            self.init(.badRequest, failure.message)
        }
    }
}
