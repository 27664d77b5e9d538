import HostSystem
import TraceModel

extension RunApproval {
    /// A template's start: tracer type and lasting, the template (still valid: its binary
    /// may have changed since it was stored) and that every function exists in the binary
    /// (both read on `BinaryInspection`'s threads, with its deadline; a busy or stuck pool
    /// answers as it does for templates). A targeted start checks the binary inside its
    /// target instead (`approveTarget`).
    public func approve(_ body: StartRequest) async throws(StartRefusal) -> RunRequest {
        var request = try await approveRun(body)
        request.relaunch = Self.relaunch(.template(body), for: request)
        return request
    }

    func approveRun(_ body: StartRequest) async throws(StartRefusal) -> RunRequest {
        let checked = try body.checked(maxLastingSeconds: limits.maxLastingSeconds, maxEventsPerSecond: limits.maxEventsPerSecond)
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
        let held = HeldBinaries()
        if let target = checked.target {
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
        // One open of the binary for the rules, the functions, the build and the tracer:
        // each check is of the file the tracer will probe.
        let binary = try await Self.onThreads(of: BinaryInspection.run, poolFailed: StartRefusal.binaryInspection) {
            () throws(StartRefusal) -> BinaryIdentity in
            try Self.checkRules(of: template, templateId: templateId, validator: validator)
            let symbols: ELFFunctionSymbols
            do throws(FieldError) {
                symbols = try TemplateValidator.openProcessBinary(template.process, field: "process")
            } catch {
                throw .templateNoLongerValid(templateId: templateId, reason: error.message)
            }
            guard let file = symbols.file else { throw .binaryUnreadable(process: template.process, reason: "was not opened") }
            let missing = try Self.reading(template.process) { () throws(ELFFunctionSymbols.ReadError) in try symbols.missing(template.functions) }
            guard missing.isEmpty else { throw .functionsMissing(process: template.process, missing: missing) }
            let identity = try Self.identityHeld(file, naming: template.process, in: held)
            if let pin = BinaryPin(template), !pin.matches(identity) {
                throw .binaryDiffersFromPin(templateId: templateId, process: template.process, pinned: pin, found: identity)
            }
            return identity
        }
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
            () throws(StartRefusal) in try Self.checkRules(of: template, templateId: templateId, validator: validator)
        }
        // A pin holds inside a target too: every copy probed must be the pinned build.
        if let pin = BinaryPin(template), let other = resolved.files.first(where: { !pin.matches($0.identity) }) {
            throw .binaryDiffersFromPin(templateId: templateId, process: other.path, pinned: pin, found: other.identity)
        }
        return RunTarget(asked: target, resolved: resolved)
    }
}
