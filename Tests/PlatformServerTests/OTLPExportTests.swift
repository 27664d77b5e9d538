import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import Testing

/// `otlp-endpoint`: stream lines and events as OTLP/HTTP log records, checked by a real
/// collector that decodes them with opentelemetry-proto (`OTLPTestCollector`).
///
/// `Tests/Fixtures/bpftrace-reads-hist.ndjson` is real bpftrace 0.17 output, made with
/// `sudo bpftrace -f json -e 'tracepoint:syscalls:sys_enter_read /comm == "bpftrace"/
/// { @reads = count(); } tracepoint:syscalls:sys_exit_read /args->ret > 0/ { @bytes =
/// hist(args->ret); } interval:ms:700 { print(@reads); } interval:s:2 { exit(); }'`:
/// an `attached_probes` line, maps, two empty lines bpftrace prints at exit, a `hist`.
@Suite("OTLP export: lines and events as OTLP log records, batched, retried, bounded, never on /submit's path")
struct OTLPExportTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bpftrace-reads-hist.ndjson")

    /// A platform exporting to `collector`, its export running until `stop`.
    struct Exporting {
        let platform: TestPlatform
        let export: Task<Void, Never>

        init(collector: String, log: CapturedLog? = nil, configure: (inout PlatformSettings) -> Void = { _ in }) async throws {
            platform = try await TestPlatform(
                configure: {
                    $0.otlpEndpoint = collector
                    configure(&$0)
                },
                logger: log?.logger
            )
            let logExport = try #require(platform.platform.logExport)
            export = Task { await logExport.run() }
        }

        func stop() async {
            export.cancel()
            await export.value
            await platform.stop()
        }

        func metric(_ series: String) async throws -> Int? {
            let page = try await HTTPAnswer.call(platform.url, "GET", "/metrics").text
            return prometheusSample(page, series).flatMap { Double($0) }.map { Int($0) }
        }
    }

    static func submit(_ platform: TestPlatform, _ trace: String, no: Int, _ bytes: Data) async throws -> HTTPAnswer {
        try await platform.call(
            "PUT",
            "/submit",
            as: TestPlatform.first,
            json: #"{"trace": "\#(trace)", "no": \#(no), "field": "\#(bytes.base64EncodedString())"}"#
        )
    }

    static func event(_ id: String, kind: String, run: String, detail: String = "{}") -> String {
        #"{"id": "\#(id)", "time": "2026-12-07T15:00:00.000Z", "kind": "\#(kind)", "run": "\#(run)", "detail": \#(detail)}"#
    }

    @Test("Every line of real bpftrace output (lines spanning chunks, chunks out of order) and every event arrive, decoded, with their attributes")
    func linesAndEvents() async throws {
        let collector = try OTLPTestCollector()
        defer { collector.stop() }
        let exporting = try await Exporting(collector: collector.url)
        defer { Task { await exporting.stop() } }
        let platform = exporting.platform
        let started = Self.event("e1", kind: "endpoint-started", run: "/tmp/otlp.trace", detail: #"{"hostname": "db-7", "version": "1.2.3"}"#)
        #expect(try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(started)]").status == 200)
        let run = try await platform.platform.runs.claim(
            endpoint: TestPlatform.first.uuid,
            filePath: "/tmp/otlp.trace",
            session: "s-42",
            analysis: nil
        )

        // Cut into 7 pieces at 100-byte steps, none on a line's end; piece 2 before 1.
        let stream = try Data(contentsOf: Self.fixture)
        let pieces = stride(from: 0, to: stream.count, by: 100).map { Data(stream[$0..<min($0 + 100, stream.count)]) }
        for no in [0, 2, 1] + Array(3..<pieces.count) {
            #expect(try await Self.submit(platform, "/tmp/otlp.trace", no: no, pieces[no]).status == 200)
        }
        let expected = String(decoding: stream, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(expected.count == 5)  // the two empty lines are not records
        let ran = Self.event("e2", kind: "run-finished", run: "/tmp/otlp.trace", detail: #"{"code": 0}"#)
        #expect(try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(ran)]").status == 200)

        try await eventually("7 records at the collector", timeout: .seconds(20)) { try collector.records().count >= 7 }
        let received = try collector.records()
        #expect(received.count == 7)
        let lines = received.filter { $0.text("lambda.event.kind") == nil }
        #expect(lines.map(\.body) == expected)
        for line in lines {
            #expect(line.resource == ["host.name": "db-7", "lambda.endpoint": TestPlatform.first.uuid])
            #expect(line.attributes == ["lambda.run": .text(run.id), "lambda.session": .text("s-42")])
            #expect(line.scope == "lambda-platform" && line.time > 1_700_000_000_000_000_000 && line.observed == line.time)
        }
        let events = received.filter { $0.text("lambda.event.kind") != nil }
        #expect(events.map { $0.text("lambda.event.kind") } == ["endpoint-started", "run-finished"])
        let finished = try #require(events.last)
        #expect(finished.text("lambda.event.id") == "e2" && finished.text("lambda.run") == run.id && finished.text("lambda.session") == "s-42")
        #expect(finished.time == 1_796_655_600_000_000_000)  // 2026-12-07T15:00:00Z
        #expect(finished.body.contains(#""kind":"run-finished""#) && finished.body.contains(#""code":0"#))
        // Batched: the lines did not take a request each.
        #expect(Set(received.map(\.request)).count < received.count)
        #expect(try await exporting.metric(#"lambda_platform_otlp_records_total{outcome="exported"}"#) == 7)
    }

    @Test("A collector that is down, then up: the records wait, are retried with backoff, and all arrive in order")
    func downThenUp() async throws {
        let port = try OTLPTestCollector.closedPort()
        let exporting = try await Exporting(collector: "http://127.0.0.1:\(port)")
        defer { Task { await exporting.stop() } }
        let platform = exporting.platform
        for no in 0..<50 {
            #expect(try await Self.submit(platform, "/tmp/down.trace", no: no, Data("{\"type\": \"value\", \"data\": [\(no)]}\n".utf8)).status == 200)
        }
        try await eventually("two failed attempts", timeout: .seconds(20)) {
            try await exporting.metric("lambda_platform_otlp_request_failures_total") ?? 0 >= 2
        }
        #expect(exporting.platform.platform.logExport?.queuedRecords == 50)
        let collector = try OTLPTestCollector(port: port)
        defer { collector.stop() }
        try await eventually("50 records after the collector came up", timeout: .seconds(20)) { try collector.records().count >= 50 }
        #expect(try collector.records().map(\.body) == (0..<50).map { "{\"type\": \"value\", \"data\": [\($0)]}" })
        #expect(try await exporting.metric(#"lambda_platform_otlp_records_total{outcome="dropped"}"#) == 0)
    }

    @Test("A full queue drops the oldest records and counts them, logged once when it starts and once when it ends; the newest arrive")
    func boundDropsOldest() async throws {
        let port = try OTLPTestCollector.closedPort()
        let log = CapturedLog()
        let exporting = try await Exporting(collector: "http://127.0.0.1:\(port)", log: log) { $0.otlpMaxQueuedRecords = 100 }
        defer { Task { await exporting.stop() } }
        for no in 0..<250 {
            #expect(try await Self.submit(exporting.platform, "/tmp/full.trace", no: no, Data("line \(no)\n".utf8)).status == 200)
        }
        try await eventually("150 records dropped", timeout: .seconds(20)) {
            try await exporting.metric(#"lambda_platform_otlp_records_total{outcome="dropped"}"#) == 150
        }
        #expect(exporting.platform.platform.logExport?.queuedRecords == 100)
        // The collector comes up only after a request failed: the failing spell is logged.
        // (250 submits may take less than the first batch's 1 s flush wait.)
        try await eventually("a request to the closed port failed", timeout: .seconds(20)) {
            try await exporting.metric("lambda_platform_otlp_request_failures_total") ?? 0 >= 1
        }
        let collector = try OTLPTestCollector(port: port)
        defer { collector.stop() }
        try await eventually("100 records after the collector came up", timeout: .seconds(20)) { try collector.records().count >= 100 }
        #expect(try collector.records().map(\.body) == (150..<250).map { "line \($0)" })
        try await eventually("the end of the drop spell logged") { log.captured.contains { $0.message.contains("has room again") } }
        let spells = log.captured.filter { $0.message.contains("queue is full") || $0.message.contains("has room again") }
        #expect(spells.count == 2 && spells.first?.message.contains("queue is full") == true, "\(spells.map(\.message))")
        #expect(spells.last?.metadata["records.dropped"] == "150")
        #expect(log.captured.filter { $0.message.contains("does not take records") }.count == 1, "one line per failing spell")
    }

    @Test("A hung collector (accepts, never answers) does not slow /submit")
    func hungCollector() async throws {
        let collector = try OTLPTestCollector(hang: true)
        defer { collector.stop() }
        let hung = try await Exporting(collector: collector.url)
        defer { Task { await hung.stop() } }
        let alone = try await TestPlatform()
        defer { Task { await alone.stop() } }
        func medianSubmit(_ platform: TestPlatform, _ trace: String) async throws -> Duration {
            var times: [Duration] = []
            for no in 0..<40 {
                let line = Data("{\"type\": \"value\", \"data\": [\(no)]}\n".utf8)
                let start = ContinuousClock.now
                #expect(try await Self.submit(platform, trace, no: no, line).status == 200)
                times.append(ContinuousClock.now - start)
            }
            return times.sorted()[times.count / 2]
        }
        // The first request is held by the collector from here on.
        _ = try await medianSubmit(hung.platform, "/tmp/warm.trace")
        try await Task.sleep(for: .seconds(2))
        let withHung = try await medianSubmit(hung.platform, "/tmp/hung.trace")
        let without = try await medianSubmit(alone, "/tmp/alone.trace")
        // Loose: a machine shared with other builds varies; a /submit that waited for the
        // collector would take its 10 s request timeout.
        #expect(withHung < without * 3 + .milliseconds(50), "median /submit \(withHung) with a hung collector, \(without) without")
        #expect(try await hung.metric(#"lambda_platform_otlp_records_total{outcome="exported"}"#) == 0)
    }
}

/// Several instances on one PostgreSQL database: each exports the lines ending in the
/// chunks its `/submit`s made contiguous, so every line arrives once whichever instance
/// took which chunk.
@Suite("OTLP export from two instances sharing a database")
struct OTLPExportSharedDatabaseTests {
    @Test("Chunks alternating between two instances, lines spanning them: each line arrives once, whole")
    func eachLineOnce() async throws {
        let collector = try OTLPTestCollector()
        defer { collector.stop() }
        let pair = try await TwoInstances { $0.otlpEndpoint = collector.url }
        let exports = [pair.a, pair.b].map { instance in Task { await instance.platform.logExport?.run() } }
        defer {
            for export in exports { export.cancel() }
            Task { await pair.stop() }
        }
        let stream = (0..<40).map { "{\"type\": \"value\", \"data\": [\($0)]}\n" }.joined()
        let bytes = Data(stream.utf8)
        let pieces = stride(from: 0, to: bytes.count, by: 45).map { Data(bytes[$0..<min($0 + 45, bytes.count)]) }
        for (no, piece) in pieces.enumerated() {
            let instance = no % 2 == 0 ? pair.a : pair.b
            #expect(try await OTLPExportTests.submit(instance, "/tmp/shared.trace", no: no, piece).status == 200)
        }
        try await eventually("40 records", timeout: .seconds(20)) { try collector.records().count >= 40 }
        try await Task.sleep(for: .seconds(1.5))  // a duplicate would come within a flush
        let bodies = try collector.records().map(\.body)
        #expect(bodies.sorted() == stream.split(separator: "\n").map(String.init).sorted())
        for instance in [pair.a, pair.b] {
            let page = await instance.platform.metrics.text(database: instance.platform.database)
            let exported = prometheusSample(page, #"lambda_platform_otlp_records_total{outcome="exported"}"#).flatMap { Double($0) } ?? 0
            #expect(exported > 0, "each instance exported lines of the chunks it received")
        }
    }
}
