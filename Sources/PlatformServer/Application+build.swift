import Foundation
import Hummingbird
import Logging
import PlatformStore

/// The platform's router: the endpoint-facing routes, and the operator API under `/api/`.
/// `clock`: the operator side's time (token expiry, login throttle, online), moved by tests.
public func buildPlatformRouter(platform: Platform, clock: OperatorClock = .system) -> Router<PlatformContext> {
    let router = Router(context: PlatformContext.self)
    router.add(middleware: RefusalCounting(metrics: platform.metrics))
    router.add(middleware: DatabaseOutageAnswer())
    EndpointRoutes(platform: platform).add(to: router)
    MetricsRoutes(platform: platform).add(to: router)
    ConsoleRoutes().add(to: router)
    // The operator API: every route under /api/ takes JSON bodies only and sees the
    // account of its bearer token.
    let api = router.group("api").add(middleware: JSONBodyRequirement()).add(middleware: OperatorAuthentication(platform: platform, clock: clock))
    AccountRoutes(platform: platform, clock: clock, hasher: PasswordHasher()).add(to: api)
    EndpointListRoutes(platform: platform, clock: clock).add(to: api)
    SessionRoutes(platform: platform).add(to: api)
    ContainerRoutes(platform: platform).add(to: api)
    RunRoutes(platform: platform).add(to: api)
    PictureRoutes(platform: platform).add(to: api)
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
