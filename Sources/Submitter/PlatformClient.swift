import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends `/submit` messages to the platform: one PUT each, JSON, with the endpoint's
/// Authorization header, over one process-wide keep-alive pool.
public struct PlatformClient: Sendable {
    /// AsyncHTTPClient's own reconnect backoff (on by default) grows to a minute and keeps
    /// its state across requests: after an outage a request could wait out its whole
    /// deadline without a new connection attempt. Connection failures therefore fail the
    /// request at once, and `RetryPolicy` alone decides when to try again.
    /// A static: it lives as long as the process, so it is never shut down.
    static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

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
    /// `body` is one of `SubmitBody`'s; a retry sends the same buffer again.
    public func send(_ body: ByteBuffer) async throws -> Answer {
        var request = HTTPClientRequest(url: submitURL)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        request.body = .bytes(body)
        let response = try await Self.httpClient.execute(request, timeout: timeout)
        // Drain (and bound) the answer so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return Answer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
    }
}
