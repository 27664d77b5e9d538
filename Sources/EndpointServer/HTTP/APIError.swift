import Foundation
import Hummingbird
import TraceModel

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
    /// A refusal spelled in TraceModel, answered with the status its kind asks for.
    /// (Labelled: unlabelled, `.badRequest` below would name the answer, not the status,
    /// and the initialiser would call itself.)
    init(answer: RefusalAnswer, message: String) {
        let status: HTTPResponse.Status =
            switch answer {
            case .badRequest: .badRequest
            case .notFound: .notFound
            case .conflict: .conflict
            case .tooManyRequests: .tooManyRequests
            case .unavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        var headers: HTTPFields = [:]
        if case .unavailable(let retryAfter?) = answer { headers[.retryAfter] = "\(retryAfter)" }
        self.init(status, message, headers: headers)
    }

    init(_ refusal: StartRefusal) { self.init(answer: refusal.answer, message: refusal.message) }

    init(_ failure: BinaryInspectionFailure) { self.init(answer: failure.answer, message: failure.message) }
}
