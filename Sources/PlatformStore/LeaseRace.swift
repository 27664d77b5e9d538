import Synchronization

/// A database call's race between getting a connection and the lease timeout: whichever
/// comes first decides, once. `lease()` is asked by the connection's holder before it
/// runs the call's body: false when the timeout already answered the caller (the
/// connection then goes back to the pool unused).
final class LeaseRace<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<T, any Error>)
        case leased(CheckedContinuation<T, any Error>)
        case done
    }

    private let state = Mutex(State.idle)

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0 = .waiting(continuation) }
    }

    /// The connection came: true when the caller still waits for it.
    func lease() -> Bool {
        state.withLock { state in
            guard case .waiting(let continuation) = state else { return false }
            state = .leased(continuation)
            return true
        }
    }

    /// The timeout: answers `error` unless a connection came first.
    func abandon(_ error: any Error) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done
            return continuation
        }
        continuation?.resume(throwing: error)
    }

    /// The body's outcome (or the lease's failure), unless the timeout answered already.
    func finish(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            switch state {
            case .waiting(let continuation), .leased(let continuation):
                state = .done
                return continuation
            case .idle, .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
