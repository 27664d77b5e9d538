import Authentication
import NIOCore
import NIOHTTP1

/// The last handler of a connection's pipeline: writes a request, reads its answer
/// (status and `Retry-After` kept; body parts dropped as they arrive, so a huge body
/// never accumulates), and resumes the waiting send at the answer's end. Every failure
/// (timeout, cancellation, EOF, reset, TLS or parse error) fails the pending send and
/// closes the connection, so a connection never carries a half-read answer into the next
/// message. Confined to its event loop.
final class PlatformExchangeHandler: ChannelInboundHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Pending {
        let continuation: UnsafeContinuation<ExchangeResult, any Error>
        let cancellation: ExchangeCancellation
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
        cancellation: ExchangeCancellation,
        continuation: UnsafeContinuation<ExchangeResult, any Error>
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

    func cancel(_ cancellation: ExchangeCancellation) {
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
                returning: ExchangeResult(
                    answer: PlatformAnswer(
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
