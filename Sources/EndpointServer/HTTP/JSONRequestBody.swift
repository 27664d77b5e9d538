import Foundation
import Hummingbird
import TraceModel

/// Reads a request's JSON body with the checks every route shares, in this order:
/// Content-Type must be JSON (415), the body at most `maxBytes` (413; the setting
/// `max-body-bytes`), the bytes valid JSON (400) of the expected shape (400 naming the
/// field). Unknown fields are ignored.
enum JSONRequestBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, maxBytes: Int) async throws -> T {
        guard let contentType = request.headers[.contentType], let mediaType = MediaType(from: contentType),
            mediaType.isType(.applicationJson)
        else {
            let given = request.headers[.contentType].map { "'\($0.prefix(100))'" } ?? "none"
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json (got \(given))")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body is larger than \(maxBytes) bytes (max-body-bytes)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest(DecodingErrorDescription.sentence(for: error))
        }
    }
}
