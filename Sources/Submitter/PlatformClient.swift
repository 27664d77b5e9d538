import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends `/submit` messages to the platform: one PUT each, JSON, with the endpoint's
/// Authorization header. Uses the process-wide shared client (one keep-alive pool).
public struct PlatformClient: Sendable {
    public let submitURL: String
    let authorization: OutgoingAuthorization
    let timeout: TimeAmount

    public init(platformURL: String, authorization: OutgoingAuthorization, timeoutSeconds: Int64 = 30) {
        self.submitURL = platformURL + "/submit"
        self.authorization = authorization
        self.timeout = .seconds(timeoutSeconds)
    }

    /// The platform's answer: its status and `Retry-After`, if any.
    public struct Answer: Equatable, Sendable {
        public var status: Int
        public var retryAfter: String?
    }

    /// Throws on connection errors and timeouts.
    public func send(_ message: SubmitMessage) async throws -> Answer {
        var request = HTTPClientRequest(url: submitURL)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        request.body = .bytes(ByteBuffer(bytes: try message.jsonBody()))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        // Drain (and bound) the answer so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return Answer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
    }
}

extension SubmitMessage {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    public func jsonBody() throws -> Data {
        try Self.encoder.encode(self)
    }
}
