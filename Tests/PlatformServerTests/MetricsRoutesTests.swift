import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import Testing

@Suite("GET /metrics: Prometheus text without authentication")
struct MetricsRoutesTests {
    func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("Ingest bytes and messages by kind, refusals by status, runs removed by retention, events stored, store size")
    func counts() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let chunk = #"{"trace": "/tmp/m.trace", "no": 0, "field": "\#(Data("12345\n".utf8).base64EncodedString())"}"#
        #expect(
            try await platform.call("PUT", "/submit", as: TestPlatform.first, json: #"{"trace": "/tmp/m.trace", "status": "start"}"#).status == 200
        )
        #expect(try await platform.call("PUT", "/submit", as: TestPlatform.first, json: chunk).status == 200)
        #expect(
            try await platform.call(
                "PUT",
                "/submit",
                as: TestPlatform.first,
                json: #"{"trace": "/tmp/m.trace", "stderr": "", "code": 0, "status": "finished"}"#
            )
            .status == 200
        )
        #expect(try await platform.call("PUT", "/submit", json: chunk).status == 401)
        let event = #"[{"id": "e1", "time": "2026-12-07T15:00:00Z", "kind": "run-started", "run": null, "detail": {}}]"#
        #expect(try await platform.call("POST", "/events", as: TestPlatform.first, json: event).status == 200)
        // The run finished long ago as retention sees it: removed and counted.
        let outcome = try await RetentionService(platform: platform.platform).sweep(now: Clock.milliseconds() + 8 * 86_400_000)
        #expect(outcome.runsRemoved == 1)

        let answer = try await HTTPAnswer.call(platform.url, "GET", "/metrics")
        #expect(answer.status == 200 && answer.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = answer.text
        #expect(value(text, "lambda_platform_ingest_bytes_total") == 6)
        #expect(value(text, #"lambda_platform_messages_total{kind="chunk"}"#) == 1)
        #expect(value(text, #"lambda_platform_messages_total{kind="start"}"#) == 1)
        #expect(value(text, #"lambda_platform_messages_total{kind="finished"}"#) == 1)
        #expect(value(text, #"lambda_platform_messages_total{kind="event"}"#) == 1)
        #expect(value(text, #"lambda_platform_refusals_total{status="401"}"#) == 1)
        #expect(value(text, "lambda_platform_runs_removed_total") == 1)
        // The event is 8 days old to that sweep too: removed.
        #expect(value(text, "lambda_platform_events_stored") == 0)
        #expect(value(text, "lambda_platform_sessions") == 0)
        #expect(value(text, "lambda_platform_polls_held") == 0)
        #expect((value(text, "lambda_platform_store_bytes") ?? 0) > 0)
    }
}
