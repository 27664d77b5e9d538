import Authentication
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Every request the endpoint makes to its platform: `/submit` messages (one PUT each, the
/// `SubmitTransport` of a delivery) and pull mode's registrations, polls and results
/// (`request`), JSON, with the endpoint's Authorization header and each signed, over
/// keep-alive connections shared by the whole process.
///
/// On SwiftNIO's own HTTP/1.1 pipeline (`PlatformConnection`) rather than AsyncHTTPClient:
/// AHC's per-request machinery (request bag, pool and connection state machines, its
/// task hops) cost ≈ 220-260 µs of CPU per message, two thirds of the endpoint's CPU at
/// 51200-byte chunks. What AHC was configured for holds here too:
/// - connection failures fail the send at once: no reconnect backoff in the client
///   (AHC's grew to a minute and kept its state across requests), `RetryPolicy` alone
///   decides when to try again;
/// - a redirect is an answer like any other, never followed: a 303 would turn the PUT
///   into a GET whose 200 acknowledges a chunk nobody received;
/// - connect timeout 5 s, and `timeoutSeconds` for the whole send (connect, TLS
///   handshake, request, answer);
/// - the answer's body is read and dropped as it arrives, never collected.
public struct PlatformClient: SubmitTransport {
    /// One pool per platform URL and set of trust roots (nil: the system's), made on
    /// first use and kept for the life of the process, so that every `PlatformClient`
    /// value for the same platform shares its connections.
    static func pool(platformURL: String, caFile: String?) throws(PlatformClientError) -> PlatformConnectionPool {
        let target = try PlatformAddress(platformURL: platformURL)
        return pools.withLock { pools in
            let key = PoolKey(target: target, caFile: caFile)
            if let pool = pools[key] { return pool }
            let pool = PlatformConnectionPool(target: target, caFile: caFile)
            pools[key] = pool
            return pool
        }
    }
    private struct PoolKey: Hashable {
        let target: PlatformAddress
        let caFile: String?
    }
    private static let pools = Mutex<[PoolKey: PlatformConnectionPool]>([:])

    public let submitURL: String
    let timeoutSeconds: Int64
    /// The pool, or why platform-url cannot be used: thrown by every send, as before.
    let connections: Result<PlatformConnectionPool, PlatformClientError>
    /// Every header but `Content-Length` and `Lambda-Signature`, in AsyncHTTPClient's
    /// order, made once.
    let headers: HTTPHeaders
    /// Signs each request: one SHA-256 of the body and one HMAC, about 0.4 s per GiB of output
    /// and 10 us per message (Bench/RESULTS.md, round three).
    let signer: MessageSigner

    /// `caFile`: trust roots (PEM) for an https platform; nil trusts the system's roots.
    public init(platformURL: String, authorization: OutgoingAuthorization, timeoutSeconds: Int64 = 30, caFile: String? = nil) {
        self.submitURL = platformURL + "/submit"
        self.timeoutSeconds = timeoutSeconds
        self.connections = Result { () throws(PlatformClientError) in try Self.pool(platformURL: platformURL, caFile: caFile) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Authorization", value: authorization.headerValue)
        if case .success(let pool) = connections { headers.add(name: "host", value: pool.target.hostHeader) }
        self.headers = headers
        self.signer = authorization.signer
    }

    /// Any other request to the platform (pull mode: `PUT /endpoints/<uuid>`, `GET
    /// /tasks`, `PUT /tasks/<id>/result`), over the same connections and with the same
    /// headers as `/submit`: `route` is appended to platform-url's path (`/tasks?...`,
    /// already percent-encoded). The answer's body is kept up to `keepingBodyUpTo` bytes
    /// (a longer one fails the request); `timeoutSeconds` overrides the client's (a long
    /// poll waits longer than a send).
    public func request(
        _ method: HTTPMethod,
        _ route: String,
        body: ByteBuffer = ByteBuffer(),
        keepingBodyUpTo bodyLimit: Int,
        timeoutSeconds: Int64? = nil
    ) async throws -> PlatformAnswer {
        let pool = try connections.get()
        return try await exchange(
            on: pool,
            method,
            uri: pool.target.requestTarget(route),
            body: body,
            timeoutSeconds: timeoutSeconds ?? self.timeoutSeconds,
            keepingBodyUpTo: max(1, bodyLimit)
        )
    }

    /// The request target `request` sends for `route`: platform-url's path, then `route`
    /// (what a poll answer's signature covers).
    public func uri(of route: String) throws -> String {
        try connections.get().target.requestTarget(route)
    }

    /// Throws on connection errors, TLS errors and timeouts, and `CancellationError`
    /// when the task is cancelled (the connection is closed then).
    /// `body` is one of `SubmitBody`'s; a retry sends the same buffer again.
    public func send(_ body: ByteBuffer) async throws -> PlatformAnswer {
        let pool = try connections.get()
        return try await exchange(on: pool, .PUT, uri: pool.target.submitTarget, body: body, timeoutSeconds: timeoutSeconds, keepingBodyUpTo: 0)
    }

    /// One request on an idle connection of `pool` (or a new one), given back when it can
    /// carry the next: what `send` and `request` share.
    private func exchange(
        on pool: PlatformConnectionPool,
        _ method: HTTPMethod,
        uri: String,
        body: ByteBuffer,
        timeoutSeconds timeout: Int64,
        keepingBodyUpTo bodyLimit: Int
    ) async throws -> PlatformAnswer {
        let deadline = NIODeadline.now() + .seconds(timeout)
        var headers = self.headers
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let signature = body.withUnsafeReadableBytes { bytes in
            signer.sign(.request, method: method.rawValue, pathAndQuery: uri, body: bytes)
        }
        headers.add(name: LambdaSignature.headerName, value: signature.headerValue)
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        let connection: PlatformConnection
        if let idle = pool.take() {
            connection = idle
        } else {
            connection = try await pool.connect(deadline: deadline)
        }
        let result = try await connection.exchange(head, body: body, deadline: deadline, timeoutSeconds: timeout, keepingBodyUpTo: bodyLimit)
        if result.reusable { pool.giveBack(connection) }
        return result.answer
    }
}
