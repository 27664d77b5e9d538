import Testing
import TraceModel

@Suite("Reading bpftrace's notices from a run's output")
struct TracerNoticeScannerTests {
    /// What bpftrace 0.17 `-f json` printed here for a flooded run (counts changed), with
    /// lines a traced process could shape: its `comm` is escaped by bpftrace.
    static let stream = Array(
        """
        {"type": "attached_probes", "data": {"probes": 5}}
        {"type": "value", "data": ["ready",22771473987741]}
        {"type": "value", "data": ["entry","xmalloc","uprobe:/bin/bash:xmalloc",1,1,"{\\"type\\": \\"lost_events\\", \\"data\\": {\\"events\\": 9}}",0,1]}
        {"type": "lost_events", "data": {"events": 9390}}
        {"type": "value", "data": ["alive",22773473987741]}
        {"type": "lost_events", "data": {"events": 12}}

        """.utf8
    )

    static func scan(_ blocks: [ArraySlice<UInt8>]) -> (scanner: TracerNoticeScanner, reported: Int64) {
        var scanner = TracerNoticeScanner()
        var reported: Int64 = 0
        for block in blocks { reported = TracerNoticeScanner.saturating(reported, Array(block).withUnsafeBytes { scanner.scan($0) }) }
        return (scanner, reported)
    }

    @Test("Lost events are summed and the attached probes read, in one block")
    func wholeStream() {
        let (scanner, reported) = Self.scan([Self.stream[...]])
        #expect(scanner.eventsLost == 9402)
        #expect(reported == 9402)
        #expect(scanner.probesAttached == 5)
    }

    @Test("The same totals wherever the blocks end, down to one byte per block")
    func everySplit() {
        for cut in 0...Self.stream.count {
            let (scanner, reported) = Self.scan([Self.stream[..<cut], Self.stream[cut...]])
            #expect(scanner.eventsLost == 9402 && reported == 9402 && scanner.probesAttached == 5, "cut at \(cut)")
        }
        let bytes = Self.scan(Self.stream.indices.map { Self.stream[$0...$0] })
        #expect(bytes.scanner.eventsLost == 9402)
        #expect(bytes.scanner.probesAttached == 5)
    }

    @Test(
        "Only a whole line that is exactly a notice counts",
        arguments: [
            #"x{"type": "lost_events", "data": {"events": 5}}"#,
            #" {"type": "lost_events", "data": {"events": 5}}"#,
            #"{"type": "lost_events", "data": {"events": 5}} "#,
            #"{"type": "lost_events", "data": {"events": -5}}"#,
            #"{"type": "lost_events", "data": {"events": }}"#,
            #"{"type": "lost_events", "data": {"events": 5 }}"#,
            #"{"type": "lost_events", "data": {"events": 1234567890123456789}}"#,
            #"{"type": "lost_events", "data": {"events": 5}"#,
            #"{"type": "lost_events", "data": {"events": 5}}{"type": "lost_events", "data": {"events": 5}}"#,
            #"{"type": "value", "data": ["lost_events", 5]}"#,
        ]
    )
    func notANotice(line: String) {
        let (scanner, reported) = Self.scan([Array((line + "\n").utf8)[...]])
        #expect(scanner.eventsLost == 0)
        #expect(reported == 0)
    }

    @Test("A line that never ends is not a notice, however it continues")
    func unfinishedLine() {
        let start = Array(#"{"type": "lost_events", "data": {"events": 7}}"#.utf8)
        let (scanner, _) = Self.scan([start[...], Array(repeating: UInt8(ascii: "7"), count: 300)[...]])
        #expect(scanner.eventsLost == 0)
        let (ended, _) = Self.scan([start[...], Array("\n".utf8)[...]])
        #expect(ended.eventsLost == 7)
    }

    @Test("A huge count saturates instead of overflowing")
    func saturates() {
        let line = Array(#"{"type": "lost_events", "data": {"events": 999999999999999999}}"#.utf8) + [0x0A]
        let (scanner, _) = Self.scan(Array(repeating: line[...], count: 20))
        #expect(scanner.eventsLost == .max)
    }

    @Test("The program's rate-limit tuple is read wherever the blocks end; a comm or an entry that looks like one is not")
    func rateLimit() {
        let stream = Array(
            """
            {"type": "attached_probes", "data": {"probes": 7}}
            {"type": "value", "data": ["ready",22771473987741]}
            {"type": "value", "data": ["entry","xmalloc","uprobe:/bin/bash:xmalloc",1,1,"[\\"rate-limit\\",5]",0,1]}
            {"type": "value", "data": ["return","rate","uprobe:/x:rate",1,1,"a",0,1,0]}
            {"type": "value", "data": ["rate-limit",251304]}

            """.utf8
        )
        for cut in 0...stream.count {
            let (scanner, _) = Self.scan([stream[..<cut], stream[cut...]])
            #expect(scanner.rateLimitedEvents == 251_304 && scanner.probesAttached == 7, "cut at \(cut)")
        }
        let withoutTuple = Array(stream[..<stream.firstRange(of: Array(#"{"type": "value", "data": ["rate-limit""#.utf8))!.lowerBound])
        #expect(Self.scan([withoutTuple[...]]).scanner.rateLimitedEvents == nil)
        for forged in [#"{"type": "value", "data": ["rate-limit",x]}"#, #"{"type": "value", "data": ["rate-limit",5,6]}"#] {
            #expect(Self.scan([Array((forged + "\n").utf8)[...]]).scanner.rateLimitedEvents == nil, "\(forged)")
        }
    }
}
