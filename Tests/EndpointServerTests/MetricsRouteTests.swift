import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("GET /metrics")
struct MetricsRouteTests {
    @Test("Authenticated by default; counts auth failures and requests by method and status")
    func authenticatedMetrics() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/traces", method: .get, headers: [.authorization: "garbage"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let page = response.text
                #expect(prometheusSample(page, #"lambda_auth_failures_total{reason="rejected"}"#) == "2")
                #expect(prometheusSample(page, #"lambda_http_request_duration_seconds_count{method="GET",status="401"}"#) == "2")
                #expect(prometheusSample(page, #"lambda_http_request_duration_seconds_count{method="GET",status="200"}"#) == "1")
                #expect(prometheusSample(page, #"lambda_runs_started_total{tracer="BPF"}"#) == "0")
                #expect(prometheusSample(page, "lambda_runs_active") == "0.0")
                #expect(page.contains("# TYPE lambda_delivered_bytes_total counter"))
                // Connection closes are counted from zero (ConnectionLimitTests counts them).
                #expect(prometheusSample(page, "lambda_http_connections_evicted_total") == "0")
                #expect(prometheusSample(page, #"lambda_http_connections_timed_out_total{reason="idle"}"#) == "0")
                #expect(prometheusSample(page, #"lambda_http_connections_timed_out_total{reason="request-read"}"#) == "0")
            }
        }
    }

    @Test("Invented methods share one label: a client cannot grow the series without bound")
    func boundedMethodLabels() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            for index in 0..<5 {
                try await client.execute(uri: "/heartbeat", method: HTTPRequest.Method("INVENTED\(index)")!) { response in
                    #expect(response.status == .methodNotAllowed || response.status == .notFound)
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: TestEndpoint.authHeaders) { response in
                let page = response.text
                #expect(!page.contains("INVENTED"))
                let other = page.split(separator: "\n").filter { $0.hasPrefix(#"lambda_http_request_duration_seconds_count{method="other","#) }
                #expect(other.count == 1, "\(other)")
                #expect(other.first?.hasSuffix(" 5") == true, "\(other)")
            }
        }
    }

    @Test("metrics-open: true serves /metrics without a header; other routes stay closed")
    func openMetrics() async throws {
        let endpoint = try TestEndpoint(lambda: ["metrics-open": "true"])
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("lambda_runs_started_total"))
            }
            try await client.execute(uri: "/traces", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}
