import EndpointCore
import Foundation
import Hummingbird
import Logging
import Runs
import Submitter

/// Everything the routes share, built once from the configuration.
public struct EndpointDependencies: Sendable {
    public let configuration: EndpointConfiguration
    public let database: EndpointDatabase
    public let authenticator: RequestAuthenticator
    public let outgoingAuthorization: OutgoingAuthorization
    public let supervisor: RunSupervisor
    public let metrics = EndpointMetrics()

    /// Opens the database (migrating it) and computes the outgoing header once.
    public init(configuration: EndpointConfiguration, logger: Logger = Logger(label: "lambda-endpoint")) throws {
        self.configuration = configuration
        do {
            self.database = try EndpointDatabase(path: configuration.server.databasePath, poolSize: configuration.server.databasePoolSize)
        } catch {
            throw ConfigError(
                file: EndpointConfiguration.serverFileName, key: "database.database",
                problem: "cannot open SQLite file \(configuration.server.databasePath): \(error)")
        }
        let lambda = configuration.lambda
        self.authenticator = RequestAuthenticator(endpointUUID: lambda.endpointUUID, secret: lambda.secret, settings: lambda.auth)
        self.outgoingAuthorization = try OutgoingAuthorization(endpointUUID: lambda.endpointUUID, secret: lambda.secret)
        let privilege = TracerPrivilege.forCurrentUser(rootPassword: lambda.rootPassword)
        self.supervisor = RunSupervisor(
            settings: RunSupervisor.Settings(lambda: lambda, privilege: privilege),
            client: PlatformClient(platformURL: lambda.platformURL, authorization: outgoingAuthorization),
            database: database,
            metrics: metrics,
            logger: logger)
    }
}

/// The routes of the endpoint. `/heartbeat` is open; every other route needs the
/// Authorization header. Middlewares are added before the routes they guard.
public func buildRouter(_ dependencies: EndpointDependencies) -> Router<EndpointRequestContext> {
    let router = Router(context: EndpointRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: RequestMetricsMiddleware(metrics: dependencies.metrics))
    HeartbeatController().addRoutes(to: router.group())
    let authenticated = router.group().add(middleware: AuthenticationMiddleware(authenticator: dependencies.authenticator, metrics: dependencies.metrics))
    MetricsController(metrics: dependencies.metrics).addRoutes(to: dependencies.configuration.lambda.metricsOpen ? router.group() : authenticated)
    let lambda = dependencies.configuration.lambda
    let validator = TemplateValidator(maxFunctions: lambda.maxFunctionsPerTemplate)
    TemplateController(database: dependencies.database, validator: validator, maxTemplates: lambda.maxTemplates).addRoutes(to: authenticated)
    RunController(
        database: dependencies.database, supervisor: dependencies.supervisor, validator: validator,
        maxLastingSeconds: lambda.maxLastingSeconds
    ).addRoutes(to: authenticated)
    return router
}

/// The whole endpoint as a service: tests build it with their own configuration.
public func buildApplication(
    dependencies: EndpointDependencies,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let router = buildRouter(dependencies)
    let server = configuration.server
    return Application(
        router: router,
        configuration: .init(address: .hostname(server.host, port: server.port), serverName: "lambda-endpoint"),
        services: [dependencies.supervisor],
        onServerRunning: { channel in
            let port = channel.localAddress?.port
            logger.info("Endpoint listening", metadata: ["http.host": "\(server.host)", "http.port": "\(port.map(String.init) ?? "?")"])
            await onServerRunning(port)
        },
        logger: logger
    )
}
