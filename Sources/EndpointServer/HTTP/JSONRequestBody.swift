import Foundation
import Hummingbird

/// Reads a request's JSON body with the checks every route shares, in this order:
/// Content-Type must be JSON (415), the body at most `maxBytes` (413), the bytes valid
/// JSON (400) of the expected shape (400 naming the field). Unknown fields are ignored.
enum JSONRequestBody {
    static let maxBytes = 1 << 20

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
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
            throw APIError(.contentTooLarge, "request body is larger than \(maxBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest(describe(error))
        }
    }

    /// A `DecodingError` as one sentence naming the field, e.g. `functions[1]: expected a string`.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "body is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(expectation(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): must not be null (expected \(expectation(type)))"
        @unknown default:
            return "body does not have the expected shape"
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "body" }
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        default:
            // Arrays of any element; everything else the routes decode is an object.
            return "\(type)".hasPrefix("Array") ? "a list" : "a JSON object"
        }
    }
}
