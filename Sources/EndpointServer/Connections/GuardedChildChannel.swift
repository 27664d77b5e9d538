import HummingbirdCore
import Logging
import NIOCore

/// A Hummingbird child channel (plain HTTP/1 or TLS around it) with a
/// `ConnectionGuardHandler` put first in every connection's pipeline, ahead of
/// whatever the base channel adds.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let registry: ConnectionRegistry
    let deadlines: ConnectionDeadlines

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let handler = ConnectionGuardHandler(registry: registry, deadlines: deadlines, logger: logger)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
