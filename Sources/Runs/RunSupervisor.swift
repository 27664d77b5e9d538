import EndpointCore
import Foundation
import Logging
import ServiceLifecycle
import Submitter

#if canImport(Glibc)
import Glibc
#endif

/// Starts, lists, stops and forgets tracer runs. A `Service`: on graceful shutdown it
/// stops every tracer with SIGINT and gives deliveries a bounded time to finish.
public actor RunSupervisor: Service {
    public struct Settings: Sendable {
        public var traceDirectory: String
        public var bpfPath: String
        public var stapPath: String
        public var chunkSize: Int
        public var flushInterval: Duration?
        public var maxConcurrentRuns: Int
        public var killGrace: Duration
        /// Extra time past `lasting` before the endpoint stops a tracer whose own timer
        /// did not (the in-program timer is the first line).
        public var lastingSlack: Duration
        public var shutdownGrace: Duration
        public var historySize: Int
        public var privilege: TracerPrivilege

        public init(lambda: LambdaSettings, privilege: TracerPrivilege) {
            self.traceDirectory = lambda.traceDirectory
            self.bpfPath = lambda.bpfPath
            self.stapPath = lambda.stapPath
            self.chunkSize = lambda.submitChunkSize
            self.flushInterval = lambda.submitFlushInterval
            self.maxConcurrentRuns = lambda.maxConcurrentRuns
            self.killGrace = .seconds(lambda.killGraceSeconds)
            self.lastingSlack = .seconds(2)
            self.shutdownGrace = .seconds(lambda.shutdownGraceSeconds)
            self.historySize = 100
            self.privilege = privilege
        }
    }

    public enum StartError: Error, Equatable {
        case tooManyRuns(limit: Int)
        case cannotCreateFile(String)
        case shuttingDown
    }

    let settings: Settings
    let client: PlatformClient
    let logger: Logger
    private var runs: [String: TraceRun] = [:]
    private var order: [String] = []
    private var history: [RunStatus] = []
    private var nextThread = 1
    private var acceptingRuns = true

    public init(settings: Settings, client: PlatformClient, logger: Logger) {
        self.settings = settings
        self.client = client
        self.logger = logger
    }

    /// Starts a run of a validated template; returns at once, without waiting for the
    /// tracer, with the run's number and file path.
    public func start(template: TraceTemplate, tracer: TracerType, lastingSeconds: Int) throws(StartError) -> (thread: Int, filePath: String) {
        guard acceptingRuns else { throw .shuttingDown }
        let active = runs.values.filter { !$0.hasExited }.count
        guard active < settings.maxConcurrentRuns else { throw .tooManyRuns(limit: settings.maxConcurrentRuns) }

        let filePath = settings.traceDirectory + "/" + UUID().uuidString.lowercased() + ".trace"
        // O_EXCL: never write into a file someone placed there; 0600: traces can be sensitive.
        let fd = open(filePath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreateFile("\(filePath): \(String(cString: strerror(errno)))") }

        let thread = nextThread
        nextThread += 1
        let run = TraceRun(thread: thread, filePath: filePath, outputFD: fd, template: template, tracer: tracer, lastingSeconds: lastingSeconds, privilege: settings.privilege)
        let program = TracerProgram.text(for: template, tracer: tracer, lastingSeconds: lastingSeconds)
        let tracerPath = tracer == .bpf ? settings.bpfPath : settings.stapPath
        let invocation = TracerInvocation(template: template, tracer: tracer, program: program, tracerPath: tracerPath, privilege: settings.privilege)
        run.launch(invocation)
        runs[filePath] = run
        order.append(filePath)
        var runLogger = logger
        runLogger[metadataKey: "trace.path"] = "\(filePath)"
        runLogger.info("Trace started", metadata: ["trace.thread": "\(thread)", "trace.tracer": "\(tracer.rawValue)", "trace.lasting": "\(lastingSeconds)", "trace.privilege": "\(settings.privilege.name)"])

        let delivery = RunDelivery(trace: filePath, filePath: filePath, chunkSize: settings.chunkSize, flushInterval: settings.flushInterval, client: client, logger: logger)
        Task { [settings] in
            // The endpoint's own bound on `lasting`, behind the program's timer.
            if await !run.waitForExit(timeout: .seconds(lastingSeconds) + settings.lastingSlack) {
                runLogger.notice("Trace outlived its lasting; stopping it")
                run.stop(grace: settings.killGrace)
            }
        }
        Task { [settings] in
            do {
                try await delivery.run(progress: run.progress, current: { run.deliveryProgress }, counters: { run.updateDelivery($0) })
            } catch {
                // Without a delivery nobody reads the output: stop the tracer too.
                runLogger.error("Delivery ended early; stopping the tracer", metadata: ["delivery.error": "\(error)"])
                run.stop(grace: settings.killGrace)
            }
            await self.retire(filePath)
        }
        return (thread, filePath)
    }

    /// Moves a run whose delivery ended into the bounded history.
    func retire(_ filePath: String) {
        guard let run = runs.removeValue(forKey: filePath) else { return }
        order.removeAll { $0 == filePath }
        let status = run.status
        history.append(status)
        if history.count > settings.historySize { history.removeFirst(history.count - settings.historySize) }
        logger.info("Trace finished", metadata: [
            "trace.path": "\(filePath)", "trace.code": "\(status.exitCode.map(String.init) ?? "?")",
            "trace.bytes": "\(status.bytesRead)", "trace.chunks": "\(status.chunksAcknowledged)",
        ])
    }

    public func status(filePath: String) -> RunStatus? { runs[filePath]?.status }

    /// Every run not yet retired, oldest first.
    public func activeRuns() -> [RunStatus] { order.compactMap { runs[$0]?.status } }

    /// The last finished runs, oldest first.
    public func finishedRuns() -> [RunStatus] { history }

    /// Stops the run at `filePath`; an unknown path is ignored.
    public func kill(filePath: String) {
        guard let run = runs[filePath] else { return }
        logger.info("Trace kill requested", metadata: ["trace.path": "\(filePath)"])
        run.stop(grace: settings.killGrace)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        acceptingRuns = false
        let running = Array(runs.values)
        logger.info("Shutting down: stopping tracers", metadata: ["trace.count": "\(running.count)"])
        for run in running { run.stop(grace: settings.killGrace) }
        let deadline = ContinuousClock.now + settings.shutdownGrace
        while !runs.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !runs.isEmpty {
            logger.warning("Shutdown grace over with undelivered runs; their files stay on disk", metadata: ["trace.count": "\(runs.count)"])
        }
    }
}
