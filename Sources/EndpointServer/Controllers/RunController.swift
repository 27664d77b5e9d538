import EndpointStorage
import Foundation
import HostSystem
import Hummingbird
import Logging
import Runs
import TraceModel

extension RunStatus: ResponseEncodable {}

/// Run routes: `POST /trace/start`, `POST /analysis/start`, `GET /trace/running?path=`,
/// `GET /traces/running/all`, `GET /traces/finished`, `POST /trace/kill`. Both starts
/// end in one `RunRequest` for the one supervisor.
struct RunController<Context: RequestContext> {
    let database: EndpointDatabase
    let supervisor: RunSupervisor
    let validator: TemplateValidator
    let maxLastingSeconds: Int
    /// `max-events-per-second` (the most a start may ask for), `rate-limit-seconds` and
    /// `rate-limit-window-seconds`.
    let maxEventsPerSecond: Int
    let rateLimitSeconds: Int
    let rateLimitWindowSeconds: Int
    let maxBodyBytes: Int
    /// Where a start's target is looked for, and how many matches it may have.
    let inventory: ContainerInventory
    let maxTargetsPerRun: Int
    /// What an analysis start checks its availability on.
    let tracingHost: TracingHost

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("trace/start", use: start)
        group.post("analysis/start", use: startAnalysis)
        group.get("trace/running", use: running)
        group.get("traces/running/all", use: allRunning)
        group.get("traces/finished", use: finished)
        group.post("trace/kill", use: kill)
    }

    struct StartResponse: ResponseEncodable {
        let thread: Int
        let filePath: String
    }

    /// Checks everything before anything runs (`approve`), then starts; returns at once,
    /// the run goes on in the background. Every refusal on the way is a `StartRefusal`.
    @Sendable func start(_ request: Request, context: Context) async throws -> StartResponse {
        let body = try await JSONRequestBody.decode(StartRequest.self, from: request, maxBytes: maxBodyBytes)
        return try await start(context: context) { () async throws(StartRefusal) in try await approve(body) }
    }

    /// An analysis start: the catalogue's checks (404 unknown, 400 a parameter or
    /// `lasting`, 409 not available on this host, read on `HostInspection`'s thread), then
    /// its binary and target as for a template, then the same supervisor.
    @Sendable func startAnalysis(_ request: Request, context: Context) async throws -> StartResponse {
        let body = try await JSONRequestBody.decode(AnalysisStartRequest.self, from: request, maxBytes: maxBodyBytes)
        let checked: AnalysisStartRequest.Checked
        do throws(AnalysisRefusal) {
            checked = try body.checked(maxLastingSeconds: maxLastingSeconds, maxEventsPerSecond: maxEventsPerSecond)
        } catch {
            throw APIError(error)
        }
        let (host, analysis) = (tracingHost, checked.analysis.analysis)
        let availability = try await HostInspection.run(tracefsPath: host.tracefsPath) { host.availability(of: analysis) }
        if let reason = availability.unavailableReason {
            throw APIError(AnalysisRefusal.unavailable(name: analysis.name, reason: reason))
        }
        return try await start(context: context) { () async throws(StartRefusal) in try await approve(checked) }
    }

    /// Starts what `approve` approved; every refusal on the way is a `StartRefusal`.
    func start(context: Context, approve: () async throws(StartRefusal) -> RunRequest) async throws(APIError) -> StartResponse {
        do throws(StartRefusal) {
            let started = try await supervisor.start(try await approve())
            return StartResponse(thread: started.runNumber, filePath: started.filePath)
        } catch {
            if let (message, reason) = error.logDetail { context.logger.error("\(message)", metadata: ["error": "\(reason)"]) }
            throw APIError(error)
        }
    }

    /// The checks that need no run: tracer type and lasting, the template (still valid:
    /// its binary may have changed since it was stored) and that every function exists
    /// in the binary (both read on `BinaryInspection`'s threads, with its deadline; a
    /// busy or stuck pool answers as it does for templates). A targeted start checks the
    /// binary inside its target instead (`approveTarget`).
    func approve(_ body: StartRequest) async throws(StartRefusal) -> RunRequest {
        let checked = try body.checked(maxLastingSeconds: maxLastingSeconds, maxEventsPerSecond: maxEventsPerSecond)
        let templateId = checked.templateId
        let stored: StoredTemplate?
        do {
            stored = try await database.template(id: templateId)
        } catch {
            throw .cannotReadTemplate("\(error)")
        }
        guard let stored, case let template = stored.info else { throw .noTemplate(templateId: templateId) }
        guard template.tracerTypes.contains(checked.tracer) else {
            throw .tracerNotAllowed(templateId: templateId, allowed: template.traceType, asked: checked.tracer)
        }
        if let target = checked.target {
            let held = HeldBinaries()
            let runTarget = try await approveTarget(target, template: template, templateId: templateId, tracer: checked.tracer, holdingIn: held)
            return RunRequest(
                template: template,
                tracer: checked.tracer,
                lastingSeconds: checked.lastingSeconds,
                target: runTarget,
                rateBound: rateBound(checked.maxEventsPerSecond),
                heldBinaries: held
            )
        }
        let validator = self.validator
        let held = HeldBinaries()
        let inspection: Result<BinaryIdentity, StartRefusal>
        do {
            // One open of the binary for the rules, the functions, the build and the
            // tracer: each check is of the file the tracer will probe.
            inspection = try await BinaryInspection.run { () -> Result<BinaryIdentity, StartRefusal> in
                do throws(TemplateValidationError) {
                    try validator.validate(template, openingProcess: false)
                } catch {
                    return .failure(.templateNoLongerValid(templateId: templateId, reason: error.message))
                }
                let symbols: ELFFunctionSymbols
                do throws(FieldError) {
                    symbols = try TemplateValidator.openProcessBinary(template.process, field: "process")
                } catch {
                    return .failure(.templateNoLongerValid(templateId: templateId, reason: error.message))
                }
                guard let file = symbols.file else { return .failure(.binaryUnreadable(process: template.process, reason: "was not opened")) }
                do throws(ELFFunctionSymbols.ReadError) {
                    let missing = try symbols.missing(template.functions)
                    guard missing.isEmpty else { return .failure(.functionsMissing(process: template.process, missing: missing)) }
                    let identity = try BinaryIdentityCache.shared.identity(of: file)
                    if let pin = BinaryPin(template), !pin.matches(identity) {
                        return .failure(.binaryDiffersFromPin(templateId: templateId, process: template.process, pinned: pin, found: identity))
                    }
                    held.hold(file, naming: template.process)
                    return .success(identity)
                } catch {
                    return .failure(.binaryUnreadable(process: template.process, reason: error.description))
                }
            }
        } catch {
            throw .binaryInspection(error)
        }
        let binary = try inspection.get()
        return RunRequest(
            template: template,
            tracer: checked.tracer,
            lastingSeconds: checked.lastingSeconds,
            binary: TracedBinary(path: template.process, identity: binary, changedSinceStored: stored.binary.map { $0 != binary } ?? false),
            rateBound: rateBound(checked.maxEventsPerSecond),
            heldBinaries: held
        )
    }

    /// Resolves the target on a fresh reading of the host (the inventory's threads), then
    /// checks the template's rules but for its host file, and its functions in each
    /// distinct file of the target (`BinaryInspection`'s threads).
    func approveTarget(
        _ target: TargetRequest,
        template: TraceTemplate,
        templateId: Int64,
        tracer: TracerType,
        holdingIn held: HeldBinaries
    ) async throws(StartRefusal) -> RunTarget {
        guard tracer == .bpf else { throw .targetNotSupported(tracer) }
        var resolved = try await resolve(target)
        let validator = self.validator
        resolved.files = try await probedFiles(template.process, functions: template.functions, in: resolved, holdingIn: held) {
            () throws(StartRefusal) in
            do throws(TemplateValidationError) {
                try validator.validate(template, openingProcess: false)
            } catch {
                throw .templateNoLongerValid(templateId: templateId, reason: error.message)
            }
        }
        // A pin holds inside a target too: every copy probed must be the pinned build.
        if let pin = BinaryPin(template), let other = resolved.files.first(where: { !pin.matches($0.identity) }) {
            throw .binaryDiffersFromPin(templateId: templateId, process: other.path, pinned: pin, found: other.identity)
        }
        return RunTarget(asked: target, resolved: resolved)
    }

    /// The distinct files of `process` inside `resolved`'s matches, each holding
    /// `functions` (`TargetResolver.probedFiles`), read on `BinaryInspection`'s threads and
    /// kept open in `held` for the tracer; `precheck` runs there first (a template's rules).
    func probedFiles(
        _ process: String,
        functions: [String],
        in resolved: ResolvedTarget,
        holdingIn held: HeldBinaries,
        precheck: @escaping @Sendable () throws(StartRefusal) -> Void = {}
    ) async throws(StartRefusal) -> [ResolvedTarget.ProbedFile] {
        let procRoot = inventory.locations.procRoot
        let inspection: Result<[ResolvedTarget.ProbedFile], StartRefusal>
        do {
            inspection = try await BinaryInspection.run {
                Result { () throws(StartRefusal) in
                    try precheck()
                    return try TargetResolver.probedFiles(process: process, functions: functions, for: resolved, procRoot: procRoot, holdingIn: held)
                }
            }
        } catch {
            throw .binaryInspection(error)
        }
        return try inspection.get()
    }

    /// Resolves `target` on a fresh reading of the host (the inventory's threads).
    func resolve(_ target: TargetRequest) async throws(StartRefusal) -> ResolvedTarget {
        let (inventory, maxTargets) = (self.inventory, maxTargetsPerRun)
        let resolution: Result<ResolvedTarget, StartRefusal>
        do {
            resolution = try await inventory.pool.run { () -> Result<ResolvedTarget, StartRefusal> in
                Result { () throws(StartRefusal) in
                    var resolved = try TargetResolver(snapshot: inventory.readSnapshot(), maxTargets: maxTargets).resolve(target)
                    // What tells the process from a later one given its pid (TargetProcessWatch).
                    if case .pid(let pid) = target {
                        resolved.matches[0].startTime = ProcessIdentity.startTime(of: pid, procRoot: inventory.locations.procRoot)
                    }
                    return resolved
                }
            }
        } catch {
            // The host's state, not the request's (a hung /proc, many starts at once).
            throw .hostUnreadable(timedOut: error == .timedOut)
        }
        return try resolution.get()
    }

    /// An analysis that probes a binary has it checked as a template's (a regular ELF
    /// file defining the function, 400 naming the parameter) and its build read for the
    /// stream's binary line; inside a target, each distinct copy of it is checked
    /// (`TargetResolver.probedFiles`), as for a targeted template.
    func approve(_ checked: AnalysisStartRequest.Checked) async throws(StartRefusal) -> RunRequest {
        let analysis = checked.analysis
        let held = HeldBinaries()
        if let target = checked.target {
            var resolved = try await resolve(target)
            if let binary = analysis.probedBinary {
                resolved.files = try await probedFiles(binary.process, functions: binary.functions.map(\.name), in: resolved, holdingIn: held)
            }
            return RunRequest(
                analysis: analysis,
                lastingSeconds: checked.lastingSeconds,
                target: RunTarget(asked: target, resolved: resolved),
                rateBound: rateBound(checked.maxEventsPerSecond),
                heldBinaries: held
            )
        }
        guard let binary = analysis.probedBinary else {
            return RunRequest(analysis: analysis, lastingSeconds: checked.lastingSeconds, rateBound: rateBound(checked.maxEventsPerSecond))
        }
        let inspection: Result<BinaryIdentity, StartRefusal>
        do {
            inspection = try await BinaryInspection.run { () -> Result<BinaryIdentity, StartRefusal> in
                let file: BinaryFile?
                do throws(FieldError) {
                    file = try analysis.inspectBinary()
                } catch {
                    return .failure(.invalidField(error))
                }
                guard let file else { return .failure(.binaryUnreadable(process: binary.process, reason: "was not opened")) }
                do throws(ELFFunctionSymbols.ReadError) {
                    let identity = try BinaryIdentityCache.shared.identity(of: file)
                    held.hold(file, naming: binary.process)
                    return .success(identity)
                } catch {
                    return .failure(.binaryUnreadable(process: binary.process, reason: error.description))
                }
            }
        } catch {
            throw .binaryInspection(error)
        }
        let identity = try inspection.get()
        return RunRequest(
            analysis: analysis,
            lastingSeconds: checked.lastingSeconds,
            binary: TracedBinary(path: binary.process, identity: identity, changedSinceStored: false),
            rateBound: rateBound(checked.maxEventsPerSecond),
            heldBinaries: held
        )
    }

    /// The bound a run's program enforces: the start's rate (at most the setting's).
    func rateBound(_ maxEventsPerSecond: Int) -> EventRateBound {
        EventRateBound(maxEventsPerSecond: maxEventsPerSecond, seconds: rateLimitSeconds, windowSeconds: rateLimitWindowSeconds)
    }

    @Sendable func running(_ request: Request, context: Context) async throws -> RunStatus {
        guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
            throw APIError.badRequest("path: the query parameter path=<filePath> is required")
        }
        guard let status = await supervisor.status(filePath: path) else {
            throw APIError.notFound("no running trace \(path.prefix(300))")
        }
        return status
    }

    @Sendable func allRunning(_ request: Request, context: Context) async throws -> [RunStatus] {
        await supervisor.activeRuns()
    }

    @Sendable func finished(_ request: Request, context: Context) async throws -> [RunStatus] {
        await supervisor.finishedRuns()
    }

    /// Answers `Killed` for any path, known or not, as the original did.
    @Sendable func kill(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONRequestBody.decode(KillRequest.self, from: request, maxBytes: maxBodyBytes)
        await supervisor.kill(filePath: body.killPath)
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "Killed")))
    }
}
