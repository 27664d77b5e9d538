import Authentication
import EndpointConfig
import EndpointStorage
import Foundation
import HostSystem
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import PrometheusMetrics
import Runs
import ServiceLifecycle
import Submitter
import TraceModel

/// Everything the routes share, built once from the configuration.
public struct EndpointDependencies: Sendable {
    public let configuration: EndpointConfiguration
    public let database: EndpointDatabase
    public let authenticator: RequestAuthenticator
    /// Incoming `Lambda-Signature`s, and poll answers' (one nonce window for the process).
    public let signatures: SignatureVerifier
    public let outgoingAuthorization: OutgoingAuthorization
    public let supervisor: RunSupervisor
    /// The event outbox (`EventRecorder`; `EventSender` posts it).
    public let events: EventRecorder
    /// What runs in containers here (`GET /containers`, and what a start's target names).
    public let containerInventory: ContainerInventory
    /// The start rules (`RunApproval`): what a start must pass, and a relaunch again.
    public let approval: RunApproval
    public let templateValidator: TemplateValidator
    public let tracingHost: TracingHost
    public let metrics = EndpointMetrics()
    /// How tracers run here (root, or sudo).
    public let privilege: TracerPrivilege
    /// The server's TLS setup when settings.yml names a certificate and key.
    public let serverTLS: TLSConfiguration?

    /// Opens the database (migrating it) and computes the outgoing header once.
    public init(configuration: EndpointConfiguration, logger: Logger = Logger(label: "lambda-endpoint")) throws {
        self.configuration = configuration
        do {
            self.database = try EndpointDatabase(path: configuration.server.databasePath, poolSize: configuration.server.databasePoolSize)
        } catch {
            throw ConfigError(
                file: EndpointConfiguration.serverFileName,
                key: "database.database",
                problem: "cannot open SQLite file \(configuration.server.databasePath): \(error)"
            )
        }
        self.serverTLS = try configuration.server.tls.map(Self.serverTLS)
        let lambda = configuration.lambda
        self.authenticator = RequestAuthenticator(endpointUUID: lambda.endpointUUID, secret: lambda.secret, settings: lambda.auth)
        self.signatures = authenticator.signatures
        self.outgoingAuthorization = try OutgoingAuthorization(endpointUUID: lambda.endpointUUID, secret: lambda.secret)
        self.containerInventory = ContainerInventory(locations: ContainerInventory.Locations(settings: lambda))
        let privilege = TracerPrivilege.forCurrentUser(rootPassword: lambda.rootPassword)
        self.privilege = privilege
        self.events = EventRecorder(maxPending: lambda.maxPendingEvents, database: database, metrics: metrics.events, logger: logger)
        self.templateValidator = TemplateValidator(maxFunctions: lambda.maxFunctionsPerTemplate)
        self.tracingHost = TracingHost(settings: lambda)
        self.approval = RunApproval(
            database: database,
            validator: templateValidator,
            inventory: containerInventory,
            tracingHost: tracingHost,
            limits: RunApproval.Limits(lambda: lambda)
        )
        self.supervisor = RunSupervisor(
            settings: RunSupervisor.Settings(lambda: lambda, privilege: privilege),
            client: PlatformClient(platformURL: lambda.platformURL, authorization: outgoingAuthorization, caFile: lambda.platformCAFile),
            database: database,
            metrics: metrics,
            events: events,
            approval: approval,
            logger: logger
        )
    }
}

extension EndpointDependencies {
    /// Reads the PEM files now, so a bad certificate or key stops start-up with one line.
    static func serverTLS(_ files: ServerSettings.TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw ConfigError(
                file: EndpointConfiguration.serverFileName,
                key: "tls-certificate",
                problem: "\(files.certificatePath) is not a PEM certificate chain: \(error)"
            )
        }
        guard !chain.isEmpty else {
            throw ConfigError(
                file: EndpointConfiguration.serverFileName,
                key: "tls-certificate",
                problem: "\(files.certificatePath) holds no certificate"
            )
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw ConfigError(file: EndpointConfiguration.serverFileName, key: "tls-key", problem: "\(files.keyPath) is not a PEM private key")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// The routes of the endpoint. `/heartbeat` is open; every other route needs the
/// Authorization header. Middlewares are added before the routes they guard.
public func buildRouter(_ dependencies: EndpointDependencies) -> Router<EndpointRequestContext> {
    // HEAD on every GET route (a monitor's cheap probe of /heartbeat): the GET answer
    // without its body, authenticated like the GET.
    let router = Router(context: EndpointRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: RequestMetricsMiddleware(metrics: dependencies.metrics))
    HeartbeatController().addRoutes(to: router.group())
    let authenticated = router.group().add(
        middleware: AuthenticationMiddleware(
            authenticator: dependencies.authenticator,
            signatures: dependencies.signatures,
            requireSignedRequests: dependencies.configuration.lambda.requireSignedRequests,
            maxBodyBytes: dependencies.configuration.lambda.maxBodyBytes,
            metrics: dependencies.metrics
        )
    )
    MetricsController(metrics: dependencies.metrics).addRoutes(to: dependencies.configuration.lambda.metricsOpen ? router.group() : authenticated)
    let lambda = dependencies.configuration.lambda
    TemplateController(
        database: dependencies.database,
        validator: dependencies.templateValidator,
        maxTemplates: lambda.maxTemplates,
        maxBodyBytes: lambda.maxBodyBytes
    ).addRoutes(to: authenticated)
    RunController(
        supervisor: dependencies.supervisor,
        approval: dependencies.approval,
        maxBodyBytes: lambda.maxBodyBytes
    ).addRoutes(to: authenticated)
    ContainerController(inventory: dependencies.containerInventory).addRoutes(to: authenticated)
    AnalysisController(host: dependencies.tracingHost).addRoutes(to: authenticated)
    addMethodNotAllowedRoutes(to: router)
    return router
}

/// The port of a `control: pull` endpoint: `/heartbeat` alone, every other path 404
/// (docs/security.md, "Signatures"): a host that accepts nothing inbound is not driven inbound. Its
/// tasks still run through `buildRouter`'s routes, in process.
public func buildHeartbeatOnlyRouter(_ dependencies: EndpointDependencies) -> Router<EndpointRequestContext> {
    let router = Router(context: EndpointRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: RequestMetricsMiddleware(metrics: dependencies.metrics))
    HeartbeatController().addRoutes(to: router.group())
    return router
}

/// A known path asked with a method it does not serve is answered 405 with `Allow`
/// (RFC 9110), not 404 as an unknown path is. Added last, from the routes the
/// controllers registered; no authentication needed (the route list is public).
/// A GET route also serves HEAD (the router generates it when the router is built).
func addMethodNotAllowedRoutes(to router: Router<EndpointRequestContext>) {
    let candidates: [HTTPRequest.Method] = [.get, .head, .put, .post, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]
    var served: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
    for route in router.routes {
        let methods = route.method == .get ? [.get, .head] : [route.method]
        if let index = served.firstIndex(where: { $0.path == route.path }) {
            served[index].methods += methods
        } else {
            served.append((route.path, methods))
        }
    }
    for (path, methods) in served {
        let allow = methods.map(\.rawValue).joined(separator: ", ")
        for method in candidates where !methods.contains(method) {
            router.on(path, method: method) { request, _ -> Response in
                throw APIError(
                    .methodNotAllowed,
                    "method \(request.method) is not allowed on \(request.uri.path); allowed: \(allow)",
                    headers: [.allow: allow]
                )
            }
        }
    }
}

/// The whole endpoint as a service: tests build it with their own configuration.
public func buildApplication(
    dependencies: EndpointDependencies,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    // One responder for both ways in: HTTP, and pull-mode tasks run in process.
    let responder = buildRouter(dependencies).buildResponder()
    let server = configuration.server
    let connections = ConnectionRegistry(
        capacity: server.connections.maxConnections,
        metrics: dependencies.metrics.connections,
        logger: logger
    )
    let lambda = configuration.lambda
    let retryPolicy = RetryPolicy(initial: lambda.submitRetryInitial, maximum: lambda.submitRetryMaximum)
    let client = PlatformClient(
        platformURL: lambda.platformURL,
        authorization: dependencies.outgoingAuthorization,
        caFile: lambda.platformCAFile
    )
    let events = EventSender(
        recorder: dependencies.events,
        client: client,
        retryPolicy: retryPolicy,
        startEvent: .endpointStarted(lambda, privilege: dependencies.privilege),
        logger: logger
    )
    // Graceful shutdown goes through services in reverse order, each finished before the
    // next: the supervisor records its runs' ends before the sender's last round.
    var services: [any Service] = [events, dependencies.supervisor]
    if lambda.control.polls {
        services.append(
            PullControl(
                settings: PullControl.Settings(
                    endpointUUID: lambda.endpointUUID,
                    control: lambda.control,
                    labels: lambda.labels,
                    registerInterval: .seconds(lambda.registerIntervalSeconds),
                    pollWaitSeconds: lambda.pollWaitSeconds,
                    retryPolicy: retryPolicy,
                    maxAnswerBytes: max(lambda.maxBodyBytes, 4 << 20),
                    taskRecordBounds: TaskRecordBounds(maxBytes: lambda.taskResultsMaxBytes)
                ),
                client: client,
                verifier: dependencies.signatures,
                database: dependencies.database,
                dispatcher: TaskDispatcher(responder: responder, logger: logger, maxAnswerBytes: 4 << 20),
                host: TracingHost(settings: lambda),
                outbox: ResultOutbox(
                    settings: ResultOutbox.Settings(
                        endpointUUID: lambda.endpointUUID,
                        retryPolicy: retryPolicy,
                        notFoundLimit: lambda.taskResultNotFoundLimit
                    ),
                    client: client,
                    database: dependencies.database,
                    metrics: dependencies.metrics,
                    logger: logger
                ),
                metrics: dependencies.metrics,
                logger: logger
            )
        )
    }
    let socketResponder = lambda.control == .pull ? buildHeartbeatOnlyRouter(dependencies).buildResponder() : responder
    return Application(
        responder: socketResponder,
        server: .guardedHTTP1(server.connections, tls: dependencies.serverTLS, registry: connections),
        configuration: .init(address: .hostname(server.host, port: server.port), serverName: "lambda-endpoint"),
        services: services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port
            logger.info(
                "Endpoint listening",
                metadata: [
                    "http.host": "\(server.host)", "http.port": "\(port.map(String.init) ?? "?")", "http.tls": "\(server.tls != nil)",
                    "http.max-connections": "\(server.connections.maxConnections)",
                    "http.idle-timeout-seconds": "\(server.connections.idleTimeoutSeconds)",
                    "http.request-read-timeout-seconds": "\(server.connections.requestReadTimeoutSeconds)",
                ]
            )
            await onServerRunning(port)
        },
        logger: logger
    )
}
