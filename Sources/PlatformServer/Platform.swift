import Authentication
import Credentials
import Foundation
import Logging
import PlatformStore

/// Everything the platform's routes and services share, built once at start from
/// platform.yml and the opened database.
public final class Platform: Sendable {
    public let settings: PlatformSettings
    public let database: any PlatformDatabase
    public let runs: RunStore
    public let tasks: TaskStore
    public let endpoints: EndpointStore
    public let tokens: TokenStore
    public let events: EventStore
    /// Who an endpoint-facing request comes from (Authorization and Lambda-Signature).
    public let authenticator: FleetAuthenticator
    /// What the platform signs its poll answers and push calls with.
    public let signer: AnswerSigner
    /// Wakes an endpoint's held polls when a task for it was committed (key: uuid), by
    /// `announce(.taskQueued, uuid)`.
    public let taskArrivals = WakeSignal()
    /// Wakes a run's followers when its contiguous prefix grew or it finished (key: run
    /// id), by `announce(.streamGrew, id)`.
    public let streamGrowth = WakeSignal()
    /// The signature nonces accepted by every instance, when several share the database
    /// (nil with SQLite: one process, whose own nonce windows suffice).
    let sharedNonces: SignatureNonceStore?
    /// Told of every task result committed.
    public let taskResults = TaskResultObservers()
    public let metrics = PlatformMetrics()
    public let logger: Logger
    /// The OTLP log export, when platform.yml names an `otlp-endpoint` (its `run()` is
    /// started beside the server).
    public let logExport: OTLPLogExport?
    /// Calls to push endpoints (sessions' steps, containers gathered): one client, one
    /// connection pool. The heartbeat has its own, with a shorter timeout.
    let push: any PushEndpointCalling
    let lastSeen = LastSeenThrottle()

    public init(
        settings: PlatformSettings,
        database: any PlatformDatabase,
        logger: Logger = Logger(label: "lambda-platform"),
        push: any PushEndpointCalling = URLSessionPushClient()
    ) {
        self.push = push
        self.settings = settings
        self.database = database
        self.logger = logger
        runs = RunStore(database: database, maxRuns: settings.maxRuns)
        tasks = TaskStore(database: database, maxQueuedPerEndpoint: settings.maxQueuedTasksPerEndpoint, maxTasks: settings.maxTasks)
        endpoints = EndpointStore(database: database, maxEndpoints: settings.maxEndpoints)
        tokens = TokenStore(database: database)
        events = EventStore(database: database, maxEvents: settings.maxEvents)
        logExport = OTLPLogExport(settings: settings, runs: runs, endpoints: endpoints, metrics: metrics, logger: logger)
        let credentials = EndpointCredentials(
            .declared(Dictionary(settings.endpoints.map { ($0.uuid, $0.secret) }) { first, _ in first }, fleetSecret: settings.fleetSecret)
        )
        // A fleet's endpoints each reuse their own header value: room for many of them.
        authenticator = FleetAuthenticator(credentials: credentials, settings: AuthSettings(cacheSize: 65536))
        signer = AnswerSigner(credentials: credentials)
        sharedNonces = database.isShared ? SignatureNonceStore(database: database) : nil
    }

    /// Writes platform.yml's declared endpoints into the database (at start).
    public func declareEndpoints() async throws {
        for endpoint in settings.endpoints {
            try await endpoints.declare(uuid: endpoint.uuid, url: endpoint.url, labels: endpoint.labels)
        }
    }

    /// Notes a request from `uuid` (`lastSeen`, `online`), in the database at most once per 10 s.
    public func heard(from uuid: String) async throws {
        guard lastSeen.shouldWrite(uuid) else { return }
        try await endpoints.seen(uuid)
    }

    /// Whether platform.yml gives `uuid`'s labels (they win over its registration's).
    public func declaresLabels(of uuid: String) -> Bool {
        settings.endpoints.contains { $0.uuid == uuid && $0.labels != nil }
    }
}
