import HostSystem
import TraceModel

extension RunApproval {
    /// An analysis start: the catalogue's checks (unknown, a parameter or `lasting`), its
    /// availability on this host (read on `HostInspection`'s thread), then its binary and
    /// target as for a template.
    public func approve(_ body: AnalysisStartRequest) async throws(AnalysisStartRefusal) -> RunRequest {
        let checked: AnalysisStartRequest.Checked
        do throws(AnalysisRefusal) {
            checked = try body.checked(maxLastingSeconds: limits.maxLastingSeconds, maxEventsPerSecond: limits.maxEventsPerSecond)
        } catch {
            throw .analysis(error)
        }
        let (host, analysis) = (tracingHost, checked.analysis.analysis)
        let availability: AnalysisAvailability
        do throws(HostInspection.Unreadable) {
            availability = try await HostInspection.run(tracefsPath: host.tracefsPath) { host.availability(of: analysis) }
        } catch {
            throw .tracingHostUnreadable(error)
        }
        if let reason = availability.unavailableReason {
            throw .analysis(.unavailable(name: analysis.name, reason: reason))
        }
        do throws(StartRefusal) {
            var request = try await approve(checked)
            request.relaunch = Self.relaunch(.analysis(body), for: request)
            return request
        } catch {
            throw .start(error)
        }
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
        let identity = try await Self.onThreads(of: BinaryInspection.run, poolFailed: StartRefusal.binaryInspection) {
            () throws(StartRefusal) -> BinaryIdentity in
            let file: BinaryFile?
            do throws(FieldError) {
                file = try analysis.inspectBinary()
            } catch {
                throw .invalidField(error)
            }
            guard let file else { throw .binaryUnreadable(process: binary.process, reason: "was not opened") }
            return try Self.identityHeld(file, naming: binary.process, in: held)
        }
        return RunRequest(
            analysis: analysis,
            lastingSeconds: checked.lastingSeconds,
            binary: TracedBinary(path: binary.process, identity: identity, changedSinceStored: false),
            rateBound: rateBound(checked.maxEventsPerSecond),
            heldBinaries: held
        )
    }
}
