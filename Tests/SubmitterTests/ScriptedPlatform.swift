import EndpointTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A loopback platform on NIO's HTTP/1.1 server codec that answers request number n
/// (counted over all connections, from 0) with `script(n)`, and records what it saw.
final class ScriptedPlatform: Sendable {
    enum Close: Sendable { case no, announced, silently }
    enum Reply: Sendable {
        /// `bodyBytes` of answer body, written as the client takes them; `close`: after
        /// the answer, with `Connection: close` or without a word.
        case answer(status: Int, headers: [(String, String)] = [], bodyBytes: Int = 0, close: Close = .no)
        /// Read the request, never answer.
        case silence
        /// Read the request, then reset the connection (RST, not FIN).
        case reset
        /// Answer as soon as the request's head is read, keep the connection, and read
        /// nothing more for `pause` (the client's body write stays unfinished meanwhile).
        case answerBeforeBody(status: Int, pause: TimeAmount)
    }

    struct Received: Sendable {
        let connection: Int
        let head: HTTPRequestHead
        let body: String
    }

    /// What the platform saw, shared by its connections.
    final class Recorder: Sendable {
        struct Log {
            var received: [Received] = []
            var accepted = 0
            var closed = 0
            var overlapping = 0
            var requests = 0
        }
        let state = Mutex(Log())
    }

    let scheme: String
    let port: Int
    private let channel: any Channel
    let recorder = Recorder()

    init(
        tls: NIOSSLContext? = nil,
        host: String = "127.0.0.1",
        answerDelay: TimeAmount = .zero,
        script: @escaping @Sendable (Int) -> Reply
    ) async throws {
        self.scheme = tls == nil ? "http" : "https"
        let recorder = self.recorder
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = recorder.state.withLock { log in
                        log.accepted += 1
                        return log.accepted
                    }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(HTTPResponseEncoder())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                    try pipeline.addHandler(ScriptedConnection(number: number, recorder: recorder, script: script, answerDelay: answerDelay))
                }
            }
            .bind(host: host, port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    var received: [Received] { recorder.state.withLock { $0.received } }
    var connectionsAccepted: Int { recorder.state.withLock { $0.accepted } }
    var connectionsClosed: Int { recorder.state.withLock { $0.closed } }
    var overlappingRequests: Int { recorder.state.withLock { $0.overlapping } }

    func stop() async {
        try? await channel.close()
    }
}

/// One connection of a `ScriptedPlatform`: reads requests, answers them as scripted.
final class ScriptedConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let number: Int
    let recorder: ScriptedPlatform.Recorder
    let script: @Sendable (Int) -> ScriptedPlatform.Reply
    let answerDelay: TimeAmount
    private var head: HTTPRequestHead?
    private var reply: ScriptedPlatform.Reply?
    private var body = ""
    /// A request read and not yet answered in full.
    private var answering = false
    private var bodyLeft = 0
    private var closeAfterBody = ScriptedPlatform.Close.no
    private static let piece = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)

    init(number: Int, recorder: ScriptedPlatform.Recorder, script: @escaping @Sendable (Int) -> ScriptedPlatform.Reply, answerDelay: TimeAmount) {
        self.number = number
        self.recorder = recorder
        self.script = script
        self.answerDelay = answerDelay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if answering { recorder.state.withLock { $0.overlapping += 1 } }
            self.head = head
            body = ""
            let index = recorder.state.withLock { log in
                log.requests += 1
                return log.requests - 1
            }
            reply = script(index)
            if case .answerBeforeBody(let status, let pause) = reply {
                answering = true
                perform(.answer(status: status), context: context)
                try? context.channel.syncOptions?.setOption(.autoRead, value: false)
                context.eventLoop.assumeIsolated().scheduleTask(in: pause) {
                    try? context.channel.syncOptions?.setOption(.autoRead, value: true)
                }
            }
        case .body(let bytes):
            body += String(buffer: bytes)
        case .end:
            guard let head, let reply else { return }
            recorder.state.withLock { $0.received.append(ScriptedPlatform.Received(connection: number, head: head, body: body)) }
            if case .answerBeforeBody = reply { return }
            answering = true
            if answerDelay == .zero {
                perform(reply, context: context)
            } else {
                context.eventLoop.assumeIsolated().scheduleTask(in: answerDelay) { self.perform(reply, context: context) }
            }
        }
    }

    private func perform(_ reply: ScriptedPlatform.Reply, context: ChannelHandlerContext) {
        switch reply {
        case .silence, .answerBeforeBody:
            break
        case .reset:
            // On the event loop the option is set at once; closing then sends RST.
            _ = (context.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            context.close(promise: nil)
        case .answer(let status, let headers, let bodyBytes, let close):
            var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: HTTPHeaders(headers))
            head.headers.add(name: "Content-Length", value: String(bodyBytes))
            if close == .announced { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            bodyLeft = bodyBytes
            closeAfterBody = close
            writeBody(context: context)
        }
    }

    /// Writes the answer's body while the client takes it, then its end.
    private func writeBody(context: ChannelHandlerContext) {
        while bodyLeft > 0, context.channel.isWritable {
            var piece = Self.piece
            piece.moveWriterIndex(to: min(piece.readableBytes, bodyLeft))
            bodyLeft -= piece.readableBytes
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
        }
        guard bodyLeft == 0, answering else { return }
        answering = false
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if closeAfterBody != .no { context.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if answering, context.channel.isWritable { writeBody(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        recorder.state.withLock { $0.closed += 1 }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
