import Logging

extension RunSupervisor {
    /// The stop reason of a pid target's run whose process exited.
    static func targetExitedReason(pid: Int32) -> String {
        "stopped: target process \(pid) exited; a pid target ends with its process, whose pid may be given to another"
    }

    /// A pid target's run ends when its process exits (`TargetProcessWatch`), so that the
    /// pid filter never traces a later process given the same pid.
    func endWithTargetProcess(_ run: TraceRun) {
        guard let target = run.launched?.target, case .pid(let pid) = target.asked else { return }
        let (grace, runLogger) = (settings.killGrace, logger(for: run.filePath))
        let watch: TargetProcessWatch
        do throws(TargetProcessWatch.Failure) {
            watch = try TargetProcessWatch(
                pid: pid,
                startTime: target.resolved.matches.first?.startTime,
                exited: { run.stop(grace: grace, reason: Self.targetExitedReason(pid: pid)) },
                unwatchable: { reason in
                    runLogger.warning("Cannot watch the target process: the run goes on until its lasting", metadata: ["error": "\(reason)"])
                }
            )
        } catch {
            runLogger.warning("Cannot watch the target process: the run goes on until its lasting", metadata: ["error": "\(error)"])
            return
        }
        Task {
            await run.waitForExit()
            watch.stop()
        }
    }
}
