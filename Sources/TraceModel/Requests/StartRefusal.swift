/// Every reason a start is refused, in one place: the request's values, the template
/// it names, the binary, the endpoint's limits and its own failures. Each is checked
/// where its facts are (the request alone, the database, the binary, the supervisor's
/// count of runs) but spelled here once; the HTTP layer maps `answer` to a status. The
/// texts are the API's (`traceId: no template 7`): they name the field at fault.
public enum StartRefusal: Error, Equatable, Sendable {
    /// A request value breaks its rule (`traceT`, `lasting`).
    case invalidField(FieldError)
    case noTemplate(templateId: Int64)
    case tracerNotAllowed(templateId: Int64, allowed: [String], asked: TracerType)
    /// The stored template fails validation today (its binary changed since it was stored).
    case templateNoLongerValid(templateId: Int64, reason: String)
    case binaryUnreadable(process: String, reason: String)
    case binaryInspection(BinaryInspectionFailure)
    case functionsMissing(process: String, missing: [String])
    /// The template pins a build of its binary and the file is another one.
    case binaryDiffersFromPin(templateId: Int64, process: String, pinned: BinaryPin, found: BinaryIdentity)
    /// A file the start checked was written to (or had its times set) between the check
    /// and the tracer's launch: the build checked is not the one the tracer would probe.
    case binaryChangedBeforeLaunch(process: String)
    case tooManyRuns(limit: Int)
    case tooManyUndelivered(limit: Int)
    case shuttingDown
    case cannotCreateFile(String)
    /// The template could not be read (the database failed, not the request).
    case cannotReadTemplate(String)
    /// The run could not be recorded.
    case database(String)
    /// The target matched nothing on the host: what it asked, as `TargetRequest.description`.
    case targetNotFound(String)
    /// As `targetNotFound`, on a host where this many processes' cgroups lie outside the
    /// endpoint's cgroup namespace: what they run cannot be seen, which the answer says.
    case targetNotFoundOutsideNamespace(String, processes: Int)
    /// A container id claimed by unrelated cgroups (`ContainerIdClaims`): which one the
    /// runtime made cannot be told, so none is traced.
    case targetConflict(containerId: String, cgroups: [String])
    case tooManyTargets(target: String, matched: Int, limit: Int)
    /// Too many cgroup ids or pids for one program's filter.
    case targetFilterTooLarge(target: String, values: Int, limit: Int)
    /// SystemTap runs take no target (see docs/targets-and-analyses.md, "Targets").
    case targetNotSupported(TracerType)
    /// The template's process cannot be opened inside a matched target.
    case processNotInTarget(process: String, target: String, reason: String)
    /// The host's processes could not be read (`ContainerInventory`'s pool): in time
    /// (`timedOut`), or at all because its line of waiting reads was full.
    case hostUnreadable(timedOut: Bool)

    public var answer: RefusalAnswer {
        switch self {
        case .invalidField, .tracerNotAllowed, .templateNoLongerValid, .binaryUnreadable, .functionsMissing: .badRequest
        case .tooManyTargets, .targetFilterTooLarge, .targetNotSupported, .processNotInTarget: .badRequest
        case .targetNotFound, .targetNotFoundOutsideNamespace: .notFound
        case .targetConflict: .conflict
        case .hostUnreadable: .unavailable(retryAfterSeconds: 1)
        case .binaryInspection(let failure): failure.answer
        case .noTemplate: .notFound
        case .binaryDiffersFromPin, .binaryChangedBeforeLaunch: .conflict
        case .tooManyRuns: .tooManyRequests
        // 30 s: a platform that stopped taking output needs a while; sooner is a wasted retry.
        case .tooManyUndelivered: .unavailable(retryAfterSeconds: 30)
        case .shuttingDown: .unavailable(retryAfterSeconds: nil)
        case .cannotCreateFile, .cannotReadTemplate, .database: .internalError
        }
    }

    public var message: String {
        switch self {
        case .invalidField(let error):
            error.message
        case .noTemplate(let templateId):
            "traceId: no template \(templateId)"
        case .tracerNotAllowed(let templateId, let allowed, let asked):
            "traceT: template \(templateId) may run with \(allowed.joined(separator: ", ")), not \(asked.rawValue)"
        case .templateNoLongerValid(let templateId, let reason):
            "template \(templateId) is no longer valid: \(reason)"
        case .binaryUnreadable(let process, let reason):
            "process: '\(process)' \(reason)"
        case .binaryInspection(let failure):
            failure.message
        case .functionsMissing(let process, let missing):
            "functions: not in \(process): \(missing.joined(separator: ", "))"
        case .binaryDiffersFromPin(let templateId, let process, let pinned, let found):
            "process: '\(process)' is not the build template \(templateId) pins: pinned \(pinned.description), found buildId \(found.buildId ?? "none") sha256 \(found.sha256)"
        case .binaryChangedBeforeLaunch(let process):
            "process: '\(process)' was written to between the start's check of its build and the tracer's launch; start again to check the new build"
        case .tooManyRuns(let limit):
            "\(limit) traces are already running (max-concurrent-runs); stop one or retry later"
        case .tooManyUndelivered(let limit):
            "\(limit) finished traces are still waiting for the platform to take their output (max-undelivered-runs); retry once the platform receives again"
        case .shuttingDown:
            "the endpoint is shutting down; no new traces"
        case .cannotCreateFile(let reason):
            "cannot create the run file in trace-dir: \(reason)"
        case .cannotReadTemplate:
            // As every unexpected failure of a route is answered (`JSONErrorMiddleware`).
            "internal error; see the endpoint's log"
        case .database:
            // The database's own error stays in the log: it can name paths and SQL.
            "cannot record the run in the database; see the endpoint's log"
        case .targetNotFound(let target):
            "target: no \(target) on this host"
        case .targetNotFoundOutsideNamespace(let target, let processes):
            "target: no \(target) on this host; "
                + (processes == 1
                    ? "1 process has a cgroup outside the endpoint's cgroup namespace (a path with '..'), so its container cannot be seen"
                    : "\(processes) processes have cgroups outside the endpoint's cgroup namespace (paths with '..'), so their containers cannot be seen")
                + ": run the endpoint in the host's cgroup namespace"
        case .targetConflict(let containerId, let cgroups):
            "target: container \(containerId) is claimed by \(cgroups.count) unrelated cgroups (\(cgroups.joined(separator: ", "))): a container can name a cgroup of its own after another's id, so \(cgroups.count == 2 ? "neither" : "none") is traced"
        case .tooManyTargets(let target, let matched, let limit):
            "target: \(target) matches \(matched) containers, more than max-targets-per-run (\(limit)); narrow it"
        case .targetFilterTooLarge(let target, let values, let limit):
            "target: \(target) has \(values) cgroups or processes to filter by, more than one program holds (\(limit)); narrow it"
        case .targetNotSupported(let tracer):
            "target: \(tracer.rawValue) runs cannot be targeted (traceT); start the run with BPF"
        case .processNotInTarget(let process, let target, let reason):
            "process: '\(process)' \(reason) in \(target)"
        case .hostUnreadable(let timedOut):
            timedOut
                ? "target: reading the host's processes took too long; try again later"
                : "target: too many starts reading the host's processes at once; try again later"
        }
    }

    /// What the log says of an internal failure (nil for the client's own mistakes).
    public var logDetail: (message: String, error: String)? {
        switch self {
        case .cannotCreateFile(let reason): ("Cannot create a run file", reason)
        case .cannotReadTemplate(let reason): ("Cannot read a template", reason)
        case .database(let reason): ("Cannot record a run", reason)
        default: nil
        }
    }
}
