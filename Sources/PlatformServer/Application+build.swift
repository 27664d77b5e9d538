import Foundation
import Hummingbird
import Logging
import PlatformStore

/// The platform's router: the endpoint-facing routes, and the operator API under `/api/`.
public func buildPlatformRouter(platform: Platform) -> Router<PlatformContext> {
    let router = Router(context: PlatformContext.self)
    router.add(middleware: RefusalCounting(metrics: platform.metrics))
    EndpointRoutes(platform: platform).add(to: router)
    MetricsRoutes(platform: platform).add(to: router)
    // The operator API: every route under /api/ sees the account of its bearer token.
    let api = router.group("api").add(middleware: OperatorAuthentication(platform: platform))
    RunRoutes(platform: platform).add(to: api)
    EventRoutes(platform: platform).add(to: router, api: api)
    return router
}

/// The platform as a Hummingbird application on platform.yml's host and port.
/// `onListening` is told the port once the server listens (`serve --port-file`).
public func buildPlatformApplication(platform: Platform, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol
{
    Application(
        router: buildPlatformRouter(platform: platform),
        configuration: .init(address: .hostname(platform.settings.host, port: platform.settings.port), serverName: "lambda-platform"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? platform.settings.port) },
        logger: platform.logger
    )
}
