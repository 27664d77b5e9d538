import NIOCore
import NIOHTTPTypes

/// Sits behind the HTTP decoder (one of Hummingbird's `additionalChannelHandlers`) and
/// tells the connection's `ConnectionGuardHandler`, at the front of the pipeline, where
/// requests begin and end: bytes alone do not say when a request has arrived whole.
/// Passes every part on unchanged.
final class RequestBoundaryHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var connectionGuard: ConnectionGuardHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        // Absent only in a pipeline built without the guard; then this handler is inert.
        connectionGuard = try? context.pipeline.syncOperations.handler(type: ConnectionGuardHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionGuard = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: connectionGuard?.requestHeadArrived()
        case .body: break
        case .end: connectionGuard?.requestArrived()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { connectionGuard?.answerFinished() }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension RequestBoundaryHandler: Sendable {}
