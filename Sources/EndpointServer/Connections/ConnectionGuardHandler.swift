import Logging
import NIOCore
import PrometheusMetrics

/// First handler of every connection's pipeline (before TLS, so it sees the raw
/// bytes): registers the connection with the `ConnectionRegistry` (closing the one
/// chosen to make room), stamps its activity on every read, and closes it when it has
/// been idle for `idle-timeout-seconds` (no bytes read, no answer being written) or
/// when a request has not arrived whole within `request-read-timeout-seconds` of its
/// first byte. Each close is counted in /metrics (`ConnectionMetrics`).
///
/// The read deadline is what stops a slowloris: an idle timer restarts on every byte,
/// so a request sent a byte at a time never looks idle.
/// `RequestBoundaryHandler`, behind the HTTP decoder, says when a request has arrived
/// whole and when its answer is written.
final class ConnectionGuardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let registry: ConnectionRegistry
    private let deadlines: ConnectionDeadlines
    private let logger: Logger
    private var tracked: TrackedConnection?
    private var readDeadline: Scheduled<Void>?
    /// Armed while the connection waits (at admission, after each answer); it re-arms
    /// itself for what is left when bytes arrived meanwhile, rather than being
    /// rescheduled on every read.
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Requests that arrived whole, and answers written. Counted rather than flagged: an
    /// answer may be written before its request has arrived (a 401 or 413 sent without
    /// reading the body), and pipelined requests wait behind one another.
    private var requestsArrived = 0
    private var answersFinished = 0

    init(registry: ConnectionRegistry, deadlines: ConnectionDeadlines, logger: Logger) {
        self.registry = registry
        self.deadlines = deadlines
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { admit(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leave()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        tracked?.markActive()
        armReadDeadline()
        context.fireChannelRead(data)
    }

    // MARK: - From RequestBoundaryHandler

    /// A request head was decoded (it may have come with the previous request's bytes,
    /// so the read that carried it may not have armed the deadline for it).
    func requestHeadArrived() {
        armReadDeadline()
    }

    /// The request's last part was decoded: it is being answered now.
    func requestArrived() {
        readDeadline?.cancel()
        readDeadline = nil
        requestsArrived += 1
        tracked?.isAnswering = requestsArrived > answersFinished
    }

    /// The answer's last part was written: the connection waits for its next request.
    func answerFinished() {
        answersFinished += 1
        tracked?.isAnswering = requestsArrived > answersFinished
        tracked?.markActive()
        armIdleTimer(in: deadlines.idle)
    }

    // MARK: -

    private func admit(_ context: ChannelHandlerContext) {
        guard tracked == nil else { return }
        let connection = TrackedConnection(channel: context.channel)
        tracked = connection
        switch registry.admit(connection) {
        case .admitted:
            break
        case .admittedClosing(let victim):
            logger.debug(
                "Closing the least recently active connection to make room",
                metadata: ["http.peer": "\(victim.channel.remoteAddress.map { "\($0)" } ?? "?")"]
            )
            victim.channel.close(promise: nil)
        case .refused:
            tracked = nil
            context.close(promise: nil)
            return
        }
        armIdleTimer(in: deadlines.idle)
    }

    private func leave() {
        readDeadline?.cancel()
        readDeadline = nil
        idleTimer?.cancel()
        idleTimer = nil
        if let tracked { registry.remove(tracked) }
        tracked = nil
    }

    private func armReadDeadline() {
        guard readDeadline == nil, let context else { return }
        readDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: deadlines.requestRead) { [self] in
            readDeadline = nil
            closeAtDeadline(context, timedOut: .requestRead, "Closing a connection whose request did not arrive in time")
        }
    }

    /// Not re-armed while an answer is being written: `answerFinished` arms it again.
    private func armIdleTimer(in delay: TimeAmount) {
        guard idleTimer == nil, let context else { return }
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            idleTimer = nil
            guard let tracked, !tracked.isAnswering else { return }
            let now = NIODeadline.now().uptimeNanoseconds
            let idleFor = TimeAmount.nanoseconds(Int64(now - min(now, tracked.lastActivity)))
            guard idleFor >= deadlines.idle else { return armIdleTimer(in: deadlines.idle - idleFor) }
            closeAtDeadline(context, timedOut: .idle, "Closing a connection idle for idle-timeout-seconds")
        }
    }

    private func closeAtDeadline(_ context: ChannelHandlerContext, timedOut reason: ConnectionMetrics.Timeout, _ message: Logger.Message) {
        // Already being closed to make room: counted as evicted, not twice.
        guard tracked?.isClosingForRoom != true else { return }
        logger.debug(
            message,
            metadata: [
                "http.peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                "http.idle-timeout": "\(deadlines.idle)", "http.request-read-timeout": "\(deadlines.requestRead)",
            ]
        )
        registry.metrics.connectionTimedOut(reason)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionGuardHandler: Sendable {}
