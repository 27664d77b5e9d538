import EndpointCore
import HummingbirdCore
import HummingbirdTLS
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1, over TLS when `tls` is set, with settings.yml's connection limits: the
    /// cap and read deadline of `ConnectionGuardHandler` and Hummingbird's idle timeout.
    static func guardedHTTP1(_ settings: ConnectionSettings, tls: TLSConfiguration?, registry: ConnectionRegistry) -> HTTPServerBuilder {
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestBoundaryHandler()],
            idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds))
        )
        let readTimeout = TimeAmount.seconds(Int64(settings.requestReadTimeoutSeconds))
        return HTTPServerBuilder { responder in
            let plain = HTTP1Channel(responder: responder, configuration: http1)
            guard let tls else { return GuardedChildChannel(base: plain, registry: registry, requestReadTimeout: readTimeout) }
            return GuardedChildChannel(base: try TLSChannel(plain, tlsConfiguration: tls), registry: registry, requestReadTimeout: readTimeout)
        }
    }
}
