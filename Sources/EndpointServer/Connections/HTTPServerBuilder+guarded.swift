import EndpointConfig
import HummingbirdCore
import HummingbirdTLS
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1, over TLS when `tls` is set, with settings.yml's connection limits: the
    /// cap, idle timer and read deadline of `ConnectionGuardHandler`. Hummingbird's own
    /// idle timeout stays off: it closes without telling any handler why, and idle
    /// closes are counted in /metrics.
    static func guardedHTTP1(_ settings: ConnectionSettings, tls: TLSConfiguration?, registry: ConnectionRegistry) -> HTTPServerBuilder {
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestBoundaryHandler()], idleTimeout: nil)
        let deadlines = ConnectionDeadlines(
            idle: .seconds(Int64(settings.idleTimeoutSeconds)),
            requestRead: .seconds(Int64(settings.requestReadTimeoutSeconds))
        )
        return HTTPServerBuilder { responder in
            let plain = HTTP1Channel(responder: responder, configuration: http1)
            guard let tls else { return GuardedChildChannel(base: plain, registry: registry, deadlines: deadlines) }
            return GuardedChildChannel(base: try TLSChannel(plain, tlsConfiguration: tls), registry: registry, deadlines: deadlines)
        }
    }
}
