import Foundation

/// When and how long to wait before sending a `/submit` message again.
///
/// Pure functions, so the schedule is unit-tested without I/O:
/// - `classify` sorts an answer: 2xx acknowledged; 400, 413 and 422 a permanent refusal
///   (logged, counted on the run, not retried); everything else retried: connection
///   errors, timeouts, 5xx, 408, 429, and also 401/403 (the platform is rotating its
///   secret), 404 (a platform mid-deploy or a proxy without its route yet), 409, any
///   redirect (not followed: a 303 would turn the PUT into a GET whose 200 acknowledges
///   nothing) and any status we do not know. Only an answer that says "this message can
///   never be accepted as it is" loses data for good: 400 (malformed), 413 (too large:
///   the same bytes will always be too large), 422 (understood, not acceptable). A
///   platform that answers 401 forever makes the run wait (visible in its status and in
///   the retry metrics), never drop its output.
/// - `delay` is exponential backoff with jitter and a cap: attempt n (1-based) waits
///   `min(maximum, initial * 2^(n-1))`, scaled by a factor drawn from
///   `[1 - jitter, 1]` so that many endpoints recovering together do not retry in
///   lockstep. A `Retry-After` from the platform is honoured as a floor (itself capped
///   at `maxRetryAfter`, so a platform cannot park an endpoint for a day).
public struct RetryPolicy: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    /// Fraction of the delay that is random, 0 to 1.
    public var jitter: Double
    public var maxRetryAfter: Duration

    public init(
        initial: Duration = .milliseconds(500),
        maximum: Duration = .seconds(30),
        jitter: Double = 0.5,
        maxRetryAfter: Duration = .seconds(300)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
        self.maxRetryAfter = maxRetryAfter
    }

    public enum Verdict: Equatable, Sendable {
        case acknowledged
        case retry(retryAfter: Duration?)
        case permanent(status: Int)
    }

    /// The statuses that mean the message itself can never be accepted (see above).
    public static let permanentRefusals: Set<Int> = [400, 413, 422]

    /// `status` nil means no answer at all (connection refused, reset, timeout).
    public static func classify(status: Int?, retryAfter: String? = nil) -> Verdict {
        guard let status else { return .retry(retryAfter: nil) }
        switch status {
        case 200..<300: return .acknowledged
        case _ where permanentRefusals.contains(status): return .permanent(status: status)
        default: return .retry(retryAfter: retryAfter.flatMap(parseRetryAfter))
        }
    }

    /// `Retry-After` in its delay-seconds form; the HTTP-date form is ignored (the
    /// backoff applies then).
    public static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 9, trimmed.allSatisfy(\.isASCII), let seconds = Int(trimmed), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    /// The pause before retry number `attempt` (1 for the first retry). `random` is a
    /// uniform draw from [0, 1), passed in so tests can pin it.
    public func delay(attempt: Int, retryAfter: Duration?, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let grown = initial * (1 << exponent)
        let base = grown > maximum || grown < .zero ? maximum : grown
        let factor = 1 - jitter * min(max(random, 0), 1)
        let jittered = base * factor
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, maxRetryAfter))
    }
}
