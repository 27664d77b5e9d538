import EndpointTestSupport
import Foundation
import Testing

/// The OTLP export end to end: a real endpoint runs real bpftrace and delivers to the
/// real `lambda-platform` (its `serve` starts the export), which sends every line of the
/// run to a real collector decoding with opentelemetry-proto (`OTLPTestCollector`).
@Suite("OTLP export from the real lambda-platform, of a real bpftrace run", .serialized)
struct OTLPExportRunTests {
    static let identity = PullEndpoints.pushed

    @Test("Every non-empty line of the run file and the endpoint's events reach the collector, lines in order, with the endpoint and the run")
    func runLinesExported() async throws {
        let collector = try OTLPTestCollector()
        defer { collector.stop() }
        let platform = try PlatformProcess(
            endpoints: [.init(uuid: Self.identity.uuid, secret: Self.identity.secret)],
            extra: ["otlp-endpoint: \(collector.url)", "otlp-batch-records: 16"]
        )
        defer { platform.stop() }
        let endpoint = try EndpointProcess(
            platformURL: platform.url,
            lambda: Self.identity.settings(platformURL: platform.url, control: "push").merging(["submit-chunk-size": "4096"]) { $1 }
        )
        let number = try await endpoint.putTemplate(TraceRunTests.bashTemplate)
        let busy = try busyBash(seconds: 8)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        let delivered = try await endpoint.waitForState(filePath, .delivered, timeout: .seconds(60))
        #expect(delivered.exitCode == 0)
        let runFile = try #require(FileManager.default.contents(atPath: filePath))
        let lines = String(decoding: runFile, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count > 3, "the run printed bpftrace's lines beside the endpoint's")
        func lineRecords() throws -> [OTLPTestCollector.Record] { try collector.records().filter { $0.text("lambda.event.kind") == nil } }
        try await eventually("\(lines.count) line records at the collector", timeout: .seconds(30)) { try lineRecords().count >= lines.count }

        let token = try await PlatformDatabaseAccess.token(of: platform)
        let runs = try await HTTPAnswer.call(platform.url, "GET", "/api/runs?endpoint=\(Self.identity.uuid)", bearer: token)
        let listed = try #require(try JSONSerialization.jsonObject(with: runs.body) as? [[String: Any]])
        let run = try #require(listed.first { $0["filePath"] as? String == filePath }?["id"] as? String)
        let records = try lineRecords()
        #expect(records.map(\.body) == lines)
        #expect(records.allSatisfy { $0.resource["lambda.endpoint"] == Self.identity.uuid && $0.text("lambda.run") == run })
        #expect(records.contains { $0.body.contains(#""type": "attached_probes""#) })
        // The endpoint's own events (POST /events) too: its start, and the run's.
        let events = try collector.records().filter { $0.text("lambda.event.kind") != nil }
        #expect(events.contains { $0.text("lambda.event.kind") == "endpoint-started" && $0.resource["lambda.endpoint"] == Self.identity.uuid })
        #expect(events.contains { $0.text("lambda.run") == run }, "an event of the run names it")
    }
}
