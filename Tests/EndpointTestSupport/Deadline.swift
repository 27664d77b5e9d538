import Foundation
import Synchronization

/// Runs `body` in a task of its own and waits for it at most `seconds`: nil when it did
/// not finish in time. A test of something that used to hang then fails instead of
/// hanging the run; the late task goes on, detached (a call blocked in the kernel
/// cannot be cancelled), until the test process exits.
public func withinDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    let answer = FirstAnswer<T>()
    return try await withCheckedThrowingContinuation { continuation in
        answer.set(continuation)
        let work = Task {
            do {
                answer.give(.success(try await body()))
            } catch {
                answer.give(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            if answer.give(.success(nil)) { work.cancel() }
        }
    }
}

/// Resumes a continuation with whichever answer comes first.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T?, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    @discardableResult
    func give(_ result: Result<T?, any Error>) -> Bool {
        guard
            let waiting = continuation.withLock({ value in
                defer { value = nil }
                return value
            })
        else { return false }
        waiting.resume(with: result)
        return true
    }
}
