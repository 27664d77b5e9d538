import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import PlatformWire

/// Runs a pull-mode task through the endpoint's own router, in process: the same
/// middlewares (JSON errors, metrics; authentication knows the task came in a poll answer
/// whose signature verified, `EndpointRequestContext.arrivedInSignedPollAnswer`) and routes, so validation, limits, errors and metrics are exactly those of the same
/// request over HTTP, and a path that names no route is its 404.
struct TaskDispatcher: Sendable {
    let responder: RouterResponder<EndpointRequestContext>
    let logger: Logger
    /// The longest answer a result carries: beyond it the result is a 500 saying so.
    let maxAnswerBytes: Int

    /// Only for a task of an answer whose signature verified (`PullControl`).
    func run(_ task: PlatformTask) async -> (status: Int, body: JSONValue) {
        var path = task.path
        if !task.query.isEmpty {
            path += "?" + Self.encodedQuery(task.query)
        }
        var headers: HTTPFields = [:]
        var body = ByteBuffer()
        if let json = task.body, let encoded = try? JSONEncoder().encode(json) {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: encoded)
        }
        headers[.contentLength] = String(body.readableBytes)
        guard let method = HTTPRequest.Method(task.method) else { return (400, .object(["error": .string("method: not an HTTP method")])) }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "pull", path: path, headerFields: headers),
            body: RequestBody(buffer: body)
        )
        var taskLogger = logger
        taskLogger[metadataKey: "task.id"] = "\(task.id)"
        var context = EndpointRequestContext(source: .init(channel: EmbeddedChannel(), logger: taskLogger))
        context.arrivedInSignedPollAnswer = true
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            return (500, .object(["error": .string("internal error; see the endpoint's log")]))
        }
        let collected = AnswerCollector(limit: maxAnswerBytes)
        do {
            try await response.body.write(collected)
        } catch {
            return (500, .object(["error": .string("the answer is longer than \(maxAnswerBytes) bytes; ask for less")]))
        }
        let bytes = collected.bytes
        let isJSON = response.headers[.contentType]?.hasPrefix("application/json") ?? false
        if isJSON, let json = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) {
            return (Int(response.status.code), json)
        }
        return (Int(response.status.code), .string(String(decoding: bytes, as: UTF8.self)))
    }
}

extension TaskDispatcher {
    /// `name=value&...` in key order, each percent-encoded so that it decodes back to what
    /// the task said. `URLComponents` leaves `+` as it is, which a query parser reads as a
    /// space (`{"path": "a+b"}` reached the route as `a b`); only unreserved characters
    /// stay literal here.
    static func encodedQuery(_ query: [String: String]) -> String {
        query.sorted { $0.key < $1.key }.map { "\(percentEncoded($0.key))=\(percentEncoded($0.value))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// RFC 3986 unreserved characters.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// Gathers a response body up to a limit.
private final class AnswerCollector: ResponseBodyWriter, @unchecked Sendable {
    struct TooLarge: Error {}
    let limit: Int
    // Written by one `write` at a time, read after the last: a response body is written
    // sequentially by the one task that writes it.
    private(set) var bytes: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    func write(_ buffer: ByteBuffer) async throws {
        guard bytes.count + buffer.readableBytes <= limit else { throw TooLarge() }
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    func finish(_ headers: HTTPFields?) async throws {}
}
