import Foundation

/// Stopping a run's tracer, and waiting for its exit.
extension TraceRun {
    /// Stops the tracer: SIGINT (tracers print their final maps and exit 0), then after
    /// `grace` (and the time its probes take to detach, `ProbeDetachTime`) SIGTERM, then
    /// after `grace` SIGKILL. Through sudo the signals go to sudo itself: the
    /// invoking user may signal sudo, which relays SIGINT and SIGTERM to the root tracer.
    /// SIGKILL to sudo is not relayed (the in-program timer bounds an orphan).
    func stop(grace: Duration, reason: String? = nil) {
        let (action, child) = state.withLock { ($0.lifecycle.stopRequested(reason: reason, grace: grace), $0.child) }
        carryOut(action, child: child)
    }

    /// Stops the tracer as `stop` does, for a relaunch at the endpoint's next start: its
    /// exit suspends the run rather than ending it (`RunLifecycle.suspendRequested`).
    func suspend(grace: Duration) {
        let (action, child) = state.withLock { ($0.lifecycle.suspendRequested(grace: grace), $0.child) }
        carryOut(action, child: child)
    }

    func carryOut(_ action: RunLifecycle.Action, child: ChildProcess?) {
        switch action {
        case .none:
            return
        case .startStopSequence(let grace):
            // The lifecycle asks for it only once the child is recorded.
            guard let child else { return }
            runStopSequence(child, grace: grace)
        }
    }

    private func runStopSequence(_ child: ChildProcess, grace: Duration) {
        // Only a launched run has a child to stop.
        guard let launched else { return }
        let sequence = StopSequence.forTracer(
            signalsWholeGroup: launched.signalsWholeGroup,
            grace: grace,
            detachAllowance: ProbeDetachTime.allowance(for: launched.expectedProbes)
        )
        Task {
            for step in sequence.steps {
                switch step.target {
                case .child: child.send(step.signal)
                case .processGroup: child.sendToGroup(step.signal)
                case .childAndProcessGroup:
                    child.send(step.signal)
                    child.sendToGroup(step.signal)
                }
                guard let wait = step.wait else { return }
                if await waitForExit(timeout: wait) { return }
            }
        }
    }

    /// True once the tracer has exited (ending or suspending the run), false after `timeout` (nil: no limit).
    @discardableResult
    func waitForExit(timeout: Duration? = nil) async -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while deadline.map({ ContinuousClock.now < $0 }) ?? true {
            let seen = exitSignal.generation
            if tracerEnded { return true }
            await exitSignal.wait(after: seen, timeout: deadline.map { $0 - ContinuousClock.now })
        }
        return tracerEnded
    }

    /// Returns once the tracer's probes are live or it ended, or after `timeout`.
    func waitUntilLive(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = progress.generation
            if state.withLock({ $0.lifecycle.ready || $0.lifecycle.tracerEnded }) { return }
            await progress.wait(after: seen, timeout: deadline - ContinuousClock.now)
        }
    }
}
