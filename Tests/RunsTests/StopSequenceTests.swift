import Foundation
import Testing

@testable import Runs

@Suite("Stop sequence as data")
struct StopSequenceTests {
    @Test("As root: SIGINT, SIGTERM to the tracer's group, a grace apart, then SIGKILL to all of it")
    func root() {
        #expect(
            StopSequence.forTracer(signalsWholeGroup: true, grace: .seconds(5)).steps == [
                .init(signal: SIGINT, target: .processGroup, wait: .seconds(5)),
                .init(signal: SIGTERM, target: .processGroup, wait: .seconds(5)),
                .init(signal: SIGKILL, target: .childAndProcessGroup, wait: nil),
            ]
        )
    }

    @Test("Through sudo: SIGINT and SIGTERM to sudo alone (it relays them), then SIGKILL")
    func sudo() {
        #expect(
            StopSequence.forTracer(signalsWholeGroup: false, grace: .seconds(2)).steps == [
                .init(signal: SIGINT, target: .child, wait: .seconds(2)),
                .init(signal: SIGTERM, target: .child, wait: .seconds(2)),
                .init(signal: SIGKILL, target: .childAndProcessGroup, wait: nil),
            ]
        )
    }

    @Test(
        "A tracer's probes lengthen the wait after SIGINT by 0.25 s each (BEGIN, END and intervals excepted); the wait after SIGTERM stays the grace"
    )
    func detachAllowance() {
        let probes = ["BEGIN", "uprobe:/bin/bash:xmalloc", "uretprobe:/bin/bash:xmalloc", "tracepoint:sched:sched_switch", "interval:s:2", "END"]
        #expect(ProbeDetachTime.allowance(for: probes) == .milliseconds(750))
        #expect(ProbeDetachTime.allowance(for: nil) == .zero)
        #expect(
            StopSequence.forTracer(signalsWholeGroup: true, grace: .seconds(5), detachAllowance: .seconds(40)).steps == [
                .init(signal: SIGINT, target: .processGroup, wait: .seconds(45)),
                .init(signal: SIGTERM, target: .processGroup, wait: .seconds(5)),
                .init(signal: SIGKILL, target: .childAndProcessGroup, wait: nil),
            ]
        )
    }
}
