import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One keep-alive connection to the platform: at most one request in flight (no
/// pipelining), used by one send at a time (the pool hands it out exclusively).
struct PlatformConnection: Sendable {
    let channel: any Channel
    let exchanges: NIOLoopBound<PlatformExchangeHandler>

    /// Connects over TCP (and TLS when `tls` is set) with the NIO HTTP/1.1 pipeline. The
    /// TLS handshake completes behind the first request's write (NIOSSL holds writes until
    /// then), inside that request's deadline. Cancelling the task closes the connection
    /// attempts at once: a platform that drops SYNs would otherwise hold a cancelled send
    /// (and the endpoint's shutdown) for the whole connect timeout.
    static func connect(to target: PlatformAddress, tls: NIOSSLContext?, connectTimeout: TimeAmount) async throws -> PlatformConnection {
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
                            let handler = PlatformExchangeHandler()
                            try pipeline.addHandler(handler)
                            return PlatformConnection(channel: channel, exchanges: NIOLoopBound(handler, eventLoop: channel.eventLoop))
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
    ) async throws -> ExchangeResult {
        let cancellation = ExchangeCancellation()
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
