import Foundation
import Hummingbird

/// JSON in and out of the platform's routes, one spelling for all of them.
package enum PlatformJSON {
    package static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        response(bytes: try encoded(value), status: status, headers: headers)
    }

    package static func response(bytes: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    package static func encoded(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    /// Sorted keys and plain slashes: answers compare byte for byte across runs.
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The request's body as `T`; 400 naming what is wrong otherwise. Bodies here are
    /// small, but for task results, which carry a route's whole answer.
    package static func decode<T: Decodable>(_ type: T.Type, from request: Request, upTo limit: Int = 1 << 20) async throws -> T {
        let body = try await request.body.collect(upTo: limit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let DecodingError.dataCorrupted(context) {
            throw PlatformRefusal(.badRequest, context.debugDescription)
        } catch let DecodingError.keyNotFound(key, _) {
            throw PlatformRefusal(.badRequest, "\(key.stringValue): missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw PlatformRefusal(.badRequest, "\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw PlatformRefusal(.badRequest, "\(context.codingPath.map(\.stringValue).joined(separator: ".")): missing")
        } catch {
            throw PlatformRefusal(.badRequest, "not the expected JSON body")
        }
    }
}
