import Authentication
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Where `/submit` messages go, taken apart once from `platform-url` + `/submit` the way
/// AsyncHTTPClient did, so that the request line and `Host` stay byte for byte the same.
struct SubmitTarget: Hashable, Sendable {
    let usesTLS: Bool
    /// To connect to, and to verify the certificate against: brackets trimmed from IPv6.
    let host: String
    let port: Int
    /// The request target: the URL's percent-encoded path, e.g. `/prefix/submit`.
    let path: String
    /// `host`, bracketed when IPv6, with `:port` only when it is not the scheme's default.
    let hostHeader: String

    init(submitURL: String) throws(PlatformClientError) {
        guard let components = URLComponents(string: submitURL),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let rawHost = components.host, !rawHost.isEmpty
        else { throw .invalidURL }
        usesTLS = scheme == "https"
        let defaultPort = usesTLS ? 443 : 80
        let trimmed = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        host = trimmed
        port = components.port ?? defaultPort
        path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let isIPv6 = trimmed.contains(":")
        let serialized = isIPv6 ? "[\(trimmed)]" : trimmed
        hostHeader = port == defaultPort ? serialized : "\(serialized):\(port)"
    }

    /// SNI must not carry an IP address (NIOSSL refuses one); without a name NIOSSL checks
    /// the certificate against the peer's IP address instead.
    var serverNameIndication: String? {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        let isIPAddress = inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1
        return isIPAddress ? nil : host
    }
}

/// Why a send got no answer. None of them repeats the Authorization header or the URL's
/// text (platform-url is checked for credentials, but an invalid one may still hold some).
public enum PlatformClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidURL
    case timedOut(seconds: Int64)
    /// The connection ended (EOF or reset) before the whole answer arrived.
    case closedBeforeAnswer
    /// Bytes arrived while no request was waiting for an answer: the connection is out of
    /// step with the platform and is closed.
    case unsolicitedAnswer
    /// An answer whose body was kept (`PlatformClient.request`) was longer than allowed.
    case answerTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .invalidURL: "platform-url is not an http:// or https:// URL with a host"
        case .timedOut(let seconds): "no whole answer within \(seconds) s"
        case .closedBeforeAnswer: "the platform closed the connection before the whole answer arrived"
        case .unsolicitedAnswer: "the platform sent an answer to no request"
        case .answerTooLarge(let limit): "the platform's answer is longer than \(limit) bytes"
        }
    }
}

/// What one exchange on a connection gave: the answer, and whether the connection may
/// carry the next message (keep-alive, and the answer read to its end).
struct SubmitExchangeResult: Sendable {
    let answer: SubmitAnswer
    let reusable: Bool
}

/// A task's request to abandon its exchange. Set off the event loop (in the cancellation
/// handler) before the loop is told; the loop reads it when the exchange starts, so a
/// cancellation that overtakes the start is not lost.
final class SubmitCancellation: Sendable {
    private let requested = Atomic<Bool>(false)
    func request() { requested.store(true, ordering: .releasing) }
    var isRequested: Bool { requested.load(ordering: .acquiring) }
}

/// One keep-alive connection to the platform: at most one request in flight (no
/// pipelining), used by one send at a time (the pool hands it out exclusively).
struct SubmitConnection: Sendable {
    let channel: any Channel
    let exchanges: NIOLoopBound<SubmitExchangeHandler>

    /// Connects over TCP (and TLS when `tls` is set) with the NIO HTTP/1.1 pipeline. The
    /// TLS handshake completes behind the first request's write (NIOSSL holds writes until
    /// then), inside that request's deadline. Cancelling the task closes the connection
    /// attempts at once: a platform that drops SYNs would otherwise hold a cancelled send
    /// (and the endpoint's shutdown) for the whole connect timeout.
    static func connect(to target: SubmitTarget, tls: NIOSSLContext?, connectTimeout: TimeAmount) async throws -> SubmitConnection {
        let attempts = ConnectAttempts()
        do {
            let connection = try await withTaskCancellationHandler {
                // On the delivery thread: the delivery that awaits the answer runs there too.
                try await ClientBootstrap(group: DeliveryExecutor.shared.eventLoop)
                    .connectTimeout(connectTimeout)
                    .connect(host: target.host, port: target.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try attempts.add(channel)
                            let pipeline = channel.pipeline.syncOperations
                            if let tls {
                                try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: target.serverNameIndication))
                            }
                            try pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                            let handler = SubmitExchangeHandler()
                            try pipeline.addHandler(handler)
                            return SubmitConnection(channel: channel, exchanges: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                        }
                    }
            } onCancel: {
                attempts.cancel()
            }
            return connection
        } catch  where Task.isCancelled {
            throw CancellationError()
        }
    }

    /// The channels one connect is trying (happy eyeballs may try several addresses), so
    /// that cancellation can close them.
    private final class ConnectAttempts: Sendable {
        private let state = Mutex<(channels: [any Channel], cancelled: Bool)>(([], false))

        func add(_ channel: any Channel) throws {
            try state.withLock { state in
                if state.cancelled { throw CancellationError() }
                state.channels.append(channel)
            }
        }

        func cancel() {
            let channels = state.withLock { state in
                state.cancelled = true
                return state.channels
            }
            for channel in channels { channel.close(promise: nil) }
        }
    }

    /// Sends one request and waits for its whole answer. From a delivery (on the
    /// connection's own loop, `DeliveryExecutor`) no thread hop at all; from elsewhere two:
    /// one onto the event loop to write, one back when the handler has read the answer's
    /// end (an `EventLoopFuture.get()` here would add a third: it registers its callback
    /// on the loop with another `execute`).
    /// `keepingBodyUpTo`: 0 drops the answer's body as it arrives (`/submit`); more keeps
    /// it, and an answer longer than that fails the exchange (`answerTooLarge`).
    func exchange(
        _ head: HTTPRequestHead,
        body: ByteBuffer,
        deadline: NIODeadline,
        timeoutSeconds: Int64,
        keepingBodyUpTo bodyLimit: Int = 0
    ) async throws -> SubmitExchangeResult {
        let cancellation = SubmitCancellation()
        let exchanges = self.exchanges
        let eventLoop = channel.eventLoop
        return try await withTaskCancellationHandler {
            // Unsafe, not checked: the handler resumes each continuation exactly once (it
            // holds it only while the exchange is pending, and drops it as it resumes); the
            // checked variant allocates its checking object per message.
            try await withUnsafeThrowingContinuation { continuation in
                let start = {
                    exchanges.value.start(
                        head,
                        body: body,
                        deadline: deadline,
                        timeoutSeconds: timeoutSeconds,
                        bodyLimit: bodyLimit,
                        cancellation: cancellation,
                        continuation: continuation
                    )
                }
                if eventLoop.inEventLoop { start() } else { eventLoop.execute(start) }
            }
        } onCancel: {
            cancellation.request()
            eventLoop.execute { exchanges.value.cancel(cancellation) }
        }
    }
}

/// The last handler of a connection's pipeline: writes a request, reads its answer
/// (status and `Retry-After` kept; body parts dropped as they arrive, so a huge body
/// never accumulates), and resumes the waiting send at the answer's end. Every failure
/// (timeout, cancellation, EOF, reset, TLS or parse error) fails the pending send and
/// closes the connection, so a connection never carries a half-read answer into the next
/// message. Confined to its event loop.
final class SubmitExchangeHandler: ChannelInboundHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Pending {
        let continuation: UnsafeContinuation<SubmitExchangeResult, any Error>
        let cancellation: SubmitCancellation
        let timeoutSeconds: Int64
        var timeout: NIOScheduledCallback?
        var status: Int?
        var retryAfter: String?
        var authorization: String?
        var signature: String?
        /// 0: the body is dropped; else kept up to this many bytes.
        let bodyLimit: Int
        var body: [UInt8] = []
        var keepAlive = true
        /// The request's last byte went to the socket. A platform may answer before it
        /// has read the whole body (a 413, say); reusing the connection then would put
        /// the rest of this body ahead of the next request, where the platform would
        /// parse it as one.
        var requestWritten = false
    }

    private var context: ChannelHandlerContext?
    private var pending: Pending?
    /// Why the connection cannot be used: the first error seen, or the close.
    private var unusableBecause: (any Error)?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(unusableBecause ?? PlatformClientError.closedBeforeAnswer)
        self.context = nil
    }

    func start(
        _ head: HTTPRequestHead,
        body: ByteBuffer,
        deadline: NIODeadline,
        timeoutSeconds: Int64,
        bodyLimit: Int = 0,
        cancellation: SubmitCancellation,
        continuation: UnsafeContinuation<SubmitExchangeResult, any Error>
    ) {
        guard let context, pending == nil, unusableBecause == nil, context.channel.isActive else {
            continuation.resume(throwing: unusableBecause ?? PlatformClientError.closedBeforeAnswer)
            context?.close(promise: nil)
            return
        }
        pending = Pending(continuation: continuation, cancellation: cancellation, timeoutSeconds: timeoutSeconds, bodyLimit: bodyLimit)
        if cancellation.isRequested {
            fail(CancellationError())
            return
        }
        // A scheduled callback, not `scheduleTask`: no promise and future per message.
        pending?.timeout = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            if pending?.cancellation === cancellation { pending?.requestWritten = true }
        }
    }

    func cancel(_ cancellation: SubmitCancellation) {
        guard pending?.cancellation === cancellation else { return }
        fail(CancellationError())
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        guard let pending else { return }
        fail(PlatformClientError.timedOut(seconds: pending.timeoutSeconds))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else {
            if unusableBecause == nil { unusableBecause = PlatformClientError.unsolicitedAnswer }
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            pending?.status = Int(head.status.code)
            pending?.retryAfter = head.headers.first(name: "Retry-After")
            pending?.authorization = head.headers.first(name: "Authorization")
            pending?.signature = head.headers.first(name: LambdaSignature.headerName)
            // 101 like AsyncHTTPClient: whatever follows is not HTTP/1.1 any more.
            pending?.keepAlive = head.isKeepAlive && head.status != .switchingProtocols
        case .body(let part):
            // Dropped unless asked for: a /submit answer's body means nothing to the endpoint.
            guard let limit = pending?.bodyLimit, limit > 0 else { break }
            guard (pending?.body.count ?? 0) + part.readableBytes <= limit else {
                fail(PlatformClientError.answerTooLarge(limit: limit))
                context.close(promise: nil)
                return
            }
            pending?.body.append(contentsOf: part.readableBytesView)
        case .end:
            guard let finished = pending, let status = finished.status else { return }
            pending = nil
            finished.timeout?.cancel()
            let reusable = finished.keepAlive && finished.requestWritten
            if !reusable {
                unusableBecause = PlatformClientError.closedBeforeAnswer
                context.close(promise: nil)
            }
            finished.continuation.resume(
                returning: SubmitExchangeResult(
                    answer: SubmitAnswer(
                        status: status,
                        retryAfter: finished.retryAfter,
                        authorization: finished.authorization,
                        signature: finished.signature,
                        body: finished.bodyLimit > 0 ? finished.body : nil
                    ),
                    reusable: reusable
                )
            )
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if unusableBecause == nil { unusableBecause = PlatformClientError.closedBeforeAnswer }
        fail(PlatformClientError.closedBeforeAnswer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if unusableBecause == nil { unusableBecause = error }
        fail(error)
        context.close(promise: nil)
    }

    /// Fails the pending send, if any, and closes the connection.
    private func fail(_ error: any Error) {
        if unusableBecause == nil { unusableBecause = error }
        guard let failed = pending else { return }
        pending = nil
        failed.timeout?.cancel()
        failed.continuation.resume(throwing: error)
        context?.close(promise: nil)
    }
}

/// The connections to one platform target, kept for the next message. A send takes one
/// (the most recently used: LIFO), or connects when none is idle, and gives it back when
/// the answer leaves it reusable. Idle connections are never more than the most sends
/// that were in flight at once (one per sending run); one the platform closed is
/// dropped when it comes up.
final class SubmitConnectionPool: Sendable {
    let target: SubmitTarget
    let caFile: String?
    private let idle = Mutex<[SubmitConnection]>([])
    /// Made at the first TLS connection (it reads `caFile`) and kept: a context per
    /// connection would parse the trust roots every time. Not kept when it fails, so a
    /// CA file fixed later is read again.
    private let tlsContext = Mutex<NIOSSLContext?>(nil)

    init(target: SubmitTarget, caFile: String?) {
        self.target = target
        self.caFile = caFile
    }

    func take() -> SubmitConnection? {
        idle.withLock { idle in
            while let connection = idle.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
    }

    func giveBack(_ connection: SubmitConnection) {
        idle.withLock { $0.append(connection) }
    }

    /// A new connection; the connect itself may take at most 5 s and never longer than
    /// what is left of the request's deadline.
    func connect(deadline: NIODeadline) async throws -> SubmitConnection {
        let remaining = deadline - .now()
        return try await SubmitConnection.connect(
            to: target,
            tls: target.usesTLS ? try tls() : nil,
            connectTimeout: max(.milliseconds(1), min(.seconds(5), remaining))
        )
    }

    private func tls() throws -> NIOSSLContext {
        try tlsContext.withLock { context in
            if let context { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile { configuration.trustRoots = .file(caFile) }
            let made = try NIOSSLContext(configuration: configuration)
            context = made
            return made
        }
    }
}
