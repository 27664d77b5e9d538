import Testing

@testable import Runs

/// `events-lost` coalescing and `delivery-stalled` detection, driven by instants of the
/// test's choosing (a fake clock: ten real seconds are not waited for).
@Suite("Event coalescing")
struct EventCoalescingTests {
    let start = ContinuousClock.now

    @Test("The first loss is told at once; losses within 10 s are held and told as one sum once the 10 s are over; the end flushes the rest")
    func eventsLostPerTenSeconds() {
        var coalescer = EventsLostCoalescer()
        #expect(coalescer.lost(5, at: start) == 5)
        #expect(coalescer.lost(3, at: start + .seconds(1)) == nil)
        #expect(coalescer.lost(4, at: start + .seconds(9)) == nil)
        #expect(coalescer.due == start + .seconds(10))
        #expect(coalescer.take(at: start + .milliseconds(9999)) == nil)
        #expect(coalescer.take(at: start + .seconds(10)) == 7)
        #expect(coalescer.due == nil)
        #expect(coalescer.lost(2, at: start + .seconds(12)) == nil)
        #expect(coalescer.lost(0, at: start + .seconds(25)) == nil)
        #expect(coalescer.lost(1, at: start + .seconds(25)) == 3)
        #expect(coalescer.lost(6, at: start + .seconds(26)) == nil)
        #expect(coalescer.flush() == 6)
        #expect(coalescer.flush() == nil)
    }

    @Test("At most one events-lost per 10 s whatever the notices' rate, and the sums add up to every event lost")
    func sumsAddUp() {
        var coalescer = EventsLostCoalescer()
        var told: [(at: Duration, count: Int64)] = []
        for tenth in 0..<600 {
            let at = Duration.milliseconds(100 * tenth)
            if let count = coalescer.lost(2, at: start + at) { told.append((at, count)) }
            if let count = coalescer.take(at: start + at) { told.append((at, count)) }
        }
        if let rest = coalescer.flush() { told.append((.seconds(60), rest)) }
        #expect(told.map(\.count).reduce(0, +) == 1200)
        for (earlier, later) in zip(told.dropLast(), told.dropFirst().dropLast()) { #expect(later.at - earlier.at >= .seconds(10)) }
    }

    @Test("delivery-stalled once per stall: after 60 s of failures, not at every retry; an acknowledgement ends the stall")
    func stallOncePerStall() {
        var watch = DeliveryStallWatch()
        var told: [Bool] = []
        for second in [0, 59, 60, 90] { told.append(watch.failed(at: start + .seconds(second))) }
        #expect(told == [false, false, true, false])
        watch.acknowledged()
        told = []
        for second in [100, 160, 161] { told.append(watch.failed(at: start + .seconds(second))) }
        #expect(told == [false, true, false])
    }
}
