import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Sends `/submit` messages to the platform: one PUT each, JSON, with the endpoint's
/// Authorization header, over one process-wide keep-alive pool.
public struct PlatformClient: SubmitTransport {
    /// One client per set of trust roots (nil: the system's), made on first use and kept
    /// for the life of the process. AsyncHTTPClient's own reconnect backoff (on by
    /// default) grows to a minute and keeps its state across requests: after an outage a
    /// request could wait out its whole deadline without a new connection attempt.
    /// Connection failures therefore fail the request at once, and `RetryPolicy` alone
    /// decides when to try again.
    static func httpClient(caFile: String?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[caFile] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(5)
            // A redirect is an answer like any other, never followed: a 303 turns the PUT
            // into a GET, whose 200 would count a chunk as delivered that nobody received.
            // `RetryPolicy` retries it.
            configuration.redirectConfiguration = .disallow
            // No tracing spans: with the default (no-op) tracer each request still made
            // one, 2.6 % of the endpoint's CPU relaying a real tracer.
            configuration.tracing.tracer = nil
            if let caFile {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .file(caFile)
                configuration.tlsConfiguration = tls
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile] = client
            return client
        }
    }
    private static let clients = Mutex<[String?: HTTPClient]>([:])

    public let submitURL: String
    let authorization: OutgoingAuthorization
    let timeout: TimeAmount
    let httpClient: HTTPClient

    /// `caFile`: trust roots (PEM) for an https platform; nil trusts the system's roots.
    public init(platformURL: String, authorization: OutgoingAuthorization, timeoutSeconds: Int64 = 30, caFile: String? = nil) {
        self.httpClient = Self.httpClient(caFile: caFile)
        self.submitURL = platformURL + "/submit"
        self.authorization = authorization
        self.timeout = .seconds(timeoutSeconds)
    }

    /// Throws on connection errors and timeouts.
    /// `body` is one of `SubmitBody`'s; a retry sends the same buffer again.
    public func send(_ body: ByteBuffer) async throws -> SubmitAnswer {
        var request = HTTPClientRequest(url: submitURL)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        request.body = .bytes(body)
        let response = try await httpClient.execute(request, timeout: timeout)
        // Drain (and bound) the answer so the connection can be reused.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return SubmitAnswer(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
    }
}
