import Foundation
import TraceModel

/// A run's relaunch after a restart goes through the start rules again, as a start of the
/// same body for the time left: a template removed or changed, a binary against its
/// pins, a target gone, a tracer or analysis no longer available each refuse it.
extension RunApproval {
    /// What a run keeps to be relaunched: its body, unless it asked not to be (`resume`
    /// false), and a pid target's process start time.
    static func relaunch(_ body: RelaunchableStart.Body, for request: RunRequest) -> RelaunchableStart? {
        var pidStartTime: Int64?
        if case .pid = request.target?.asked { pidStartTime = request.target?.resolved.matches.first?.startTime }
        let relaunch = RelaunchableStart(body: body, pidStartTime: pidStartTime)
        guard relaunch.asksToResume else { return nil }
        // A value no rule lets through cannot be stored back as JSON (`TargetObject`,
        // `AnalysisParameterInput`): such a run is not relaunched rather than not started.
        guard (try? JSONEncoder().encode(relaunch)) != nil else { return nil }
        return relaunch
    }

    /// `relaunch` approved again for `lastingSeconds`, or why not (a sentence for the
    /// run's `finished`).
    public func approveRelaunch(_ relaunch: RelaunchableStart, lastingSeconds: Int) async -> Result<RunRequest, RelaunchRefusal> {
        var request: RunRequest
        switch relaunch.body(lasting: lastingSeconds) {
        case .template(let body):
            do throws(StartRefusal) {
                request = try await approveRun(body)
            } catch {
                return .failure(RelaunchRefusal(reason: error.message))
            }
        case .analysis(let body):
            do throws(AnalysisStartRefusal) {
                request = try await approve(body)
            } catch {
                return .failure(RelaunchRefusal(reason: error.message))
            }
        }
        // The pid names another process now: it was given to one started later.
        if let recorded = relaunch.pidStartTime, case .pid(let pid) = request.target?.asked,
            request.target?.resolved.matches.first?.startTime != recorded
        {
            return .failure(RelaunchRefusal(reason: "target process \(pid) exited; its pid now names another process"))
        }
        request.relaunch = relaunch
        return .success(request)
    }
}

/// Why a run could not be relaunched after a restart.
public struct RelaunchRefusal: Error, Sendable, Equatable {
    public var reason: String
}
