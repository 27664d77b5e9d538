import Submitter
import Testing

@Suite("Retry policy (pure)")
struct RetryPolicyTests {
    let policy = RetryPolicy(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0.5, maxRetryAfter: .seconds(300))

    @Test("Statuses: 2xx acknowledged; 400, 413, 422 permanent; everything else (401, 403, 404, 409, 3xx, 5xx, unknown) retried")
    func classify() {
        #expect(RetryPolicy.classify(status: 200) == .acknowledged)
        #expect(RetryPolicy.classify(status: 204) == .acknowledged)
        #expect(RetryPolicy.classify(status: nil) == .retry(retryAfter: nil))
        #expect(RetryPolicy.classify(status: 500) == .retry(retryAfter: nil))
        #expect(RetryPolicy.classify(status: 503, retryAfter: "7") == .retry(retryAfter: .seconds(7)))
        #expect(RetryPolicy.classify(status: 408) == .retry(retryAfter: nil))
        #expect(RetryPolicy.classify(status: 429, retryAfter: " 2 ") == .retry(retryAfter: .seconds(2)))
        #expect(RetryPolicy.classify(status: 400) == .permanent(status: 400))
        #expect(RetryPolicy.classify(status: 413) == .permanent(status: 413))
        #expect(RetryPolicy.classify(status: 422) == .permanent(status: 422))
        for transient in [100, 301, 302, 303, 307, 401, 403, 404, 409, 410, 418, 451, 599, 600, 999] {
            #expect(RetryPolicy.classify(status: transient) == .retry(retryAfter: nil), "\(transient)")
        }
    }

    @Test("Retry-After: delay-seconds only; dates, negatives and junk are ignored")
    func retryAfterParsing() {
        #expect(RetryPolicy.parseRetryAfter("120") == .seconds(120))
        #expect(RetryPolicy.parseRetryAfter("0") == .seconds(0))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.parseRetryAfter("-5") == nil)
        #expect(RetryPolicy.parseRetryAfter("1e3") == nil)
        #expect(RetryPolicy.parseRetryAfter("99999999999") == nil)
        #expect(RetryPolicy.parseRetryAfter("") == nil)
    }

    @Test("Exponential growth from the initial delay, capped at the maximum (no jitter drawn)")
    func exponentialAndCapped() {
        let delays = (1...9).map { policy.delay(attempt: $0, retryAfter: nil, random: 0) }
        #expect(
            delays == [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30),
            ]
        )
        #expect(policy.delay(attempt: 10_000, retryAfter: nil, random: 0) == .seconds(30))
        #expect(policy.delay(attempt: 0, retryAfter: nil, random: 0) == .milliseconds(500))
    }

    @Test("Jitter takes up to `jitter` of the delay off, never adds")
    func jitter() {
        #expect(policy.delay(attempt: 3, retryAfter: nil, random: 0.999_999) > .milliseconds(1000))
        #expect(policy.delay(attempt: 3, retryAfter: nil, random: 0.5) == .milliseconds(1500))
        for draw in stride(from: 0.0, to: 1.0, by: 0.1) {
            let delay = policy.delay(attempt: 4, retryAfter: nil, random: draw)
            #expect(delay <= .seconds(4) && delay > .seconds(2))
        }
    }

    @Test("Retry-After is a floor, itself capped")
    func retryAfterFloor() {
        #expect(policy.delay(attempt: 1, retryAfter: .seconds(10), random: 0) == .seconds(10))
        #expect(policy.delay(attempt: 7, retryAfter: .seconds(1), random: 0) == .seconds(30))
        #expect(policy.delay(attempt: 1, retryAfter: .seconds(86_400), random: 0) == .seconds(300))
    }
}
