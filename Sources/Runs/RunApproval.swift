import EndpointConfig
import EndpointStorage
import HostSystem
import TraceModel

/// The start rules: a start (of a template or of an analysis) checked against the
/// endpoint's limits, its template, its binary and its target, before anything runs. It
/// gives the `RunRequest` the supervisor starts, or the typed refusal that says why not;
/// the HTTP layer only decodes the body and answers the refusal. A pull-mode task reaches
/// it through the same routes (the router), so both see one behaviour.
///
/// Every check that reads a file or the host runs on a pool of its own
/// (`BinaryInspection`, the inventory's), never on Swift's concurrency pool.
public struct RunApproval: Sendable {
    /// The settings a start is checked against.
    public struct Limits: Equatable, Sendable {
        public var maxLastingSeconds: Int
        /// `max-events-per-second` (the most a start may ask for), `rate-limit-seconds` and
        /// `rate-limit-window-seconds`.
        public var maxEventsPerSecond: Int
        public var rateLimitSeconds: Int
        public var rateLimitWindowSeconds: Int
        /// How many matches a start's target may have.
        public var maxTargetsPerRun: Int

        public init(lambda: LambdaSettings) {
            self.maxLastingSeconds = lambda.maxLastingSeconds
            self.maxEventsPerSecond = lambda.maxEventsPerSecond
            self.rateLimitSeconds = lambda.rateLimitSeconds
            self.rateLimitWindowSeconds = lambda.rateLimitWindowSeconds
            self.maxTargetsPerRun = lambda.maxTargetsPerRun
        }
    }

    let database: EndpointDatabase
    let validator: TemplateValidator
    /// Where a start's target is looked for.
    let inventory: ContainerInventory
    /// What an analysis start checks its availability on.
    let tracingHost: TracingHost
    let limits: Limits

    public init(database: EndpointDatabase, validator: TemplateValidator, inventory: ContainerInventory, tracingHost: TracingHost, limits: Limits) {
        self.database = database
        self.validator = validator
        self.inventory = inventory
        self.tracingHost = tracingHost
        self.limits = limits
    }

    /// The bound a run's program enforces: the start's rate (at most the setting's).
    func rateBound(_ maxEventsPerSecond: Int) -> EventRateBound {
        EventRateBound(maxEventsPerSecond: maxEventsPerSecond, seconds: limits.rateLimitSeconds, windowSeconds: limits.rateLimitWindowSeconds)
    }

    /// Runs `check` on a pool's threads (`run`: the pool's own `run`): its refusal is the
    /// start's, and so is the pool's failure, as `poolFailed` spells it (a binary that
    /// took too long, a host whose processes could not be read).
    static func onThreads<Checked: Sendable, PoolFailure: Error>(
        of run: (@escaping @Sendable () -> Result<Checked, StartRefusal>) async throws(PoolFailure) -> Result<Checked, StartRefusal>,
        poolFailed: (PoolFailure) -> StartRefusal,
        _ check: @escaping @Sendable () throws(StartRefusal) -> Checked
    ) async throws(StartRefusal) -> Checked {
        let outcome: Result<Checked, StartRefusal>
        do {
            outcome = try await run { Result { () throws(StartRefusal) in try check() } }
        } catch {
            throw poolFailed(error)
        }
        return try outcome.get()
    }

    /// The template's rules but for its host file (read apart, on the caller's pool):
    /// one stored before a rule changed is refused now.
    static func checkRules(of template: TraceTemplate, templateId: Int64, validator: TemplateValidator) throws(StartRefusal) {
        do throws(TemplateValidationError) {
            try validator.validate(template, openingProcess: false)
        } catch {
            throw .templateNoLongerValid(templateId: templateId, reason: error.message)
        }
    }

    /// The build of `file` (`BinaryIdentityCache`: hashed once per version of a file),
    /// and the file held open in `held` for the tracer, which probes it as `process`.
    static func identityHeld(_ file: BinaryFile, naming process: String, in held: HeldBinaries) throws(StartRefusal) -> BinaryIdentity {
        let identity = try reading(process) { () throws(ELFFunctionSymbols.ReadError) in try BinaryIdentityCache.shared.identity(of: file) }
        held.hold(file, naming: process)
        return identity
    }

    /// Reads `process`'s file with `read`; a file that cannot be read is the start's refusal.
    static func reading<Read>(_ process: String, _ read: () throws(ELFFunctionSymbols.ReadError) -> Read) throws(StartRefusal) -> Read {
        do throws(ELFFunctionSymbols.ReadError) {
            return try read()
        } catch {
            throw .binaryUnreadable(process: process, reason: error.description)
        }
    }
}
