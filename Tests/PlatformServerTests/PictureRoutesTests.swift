import EndpointTestSupport
import Foundation
import Testing

@Suite("GET /api/runs/{id}/folded, profile.pb.gz, flamegraph.svg and histograms of delivered runs")
struct PictureRoutesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pictures")

    /// Delivers a fixture of real bpftrace output as the first endpoint's run `filePath`; its id.
    func run(_ platform: TestPlatform, fixture: String, filePath: String) async throws -> String {
        let bytes = String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent(fixture)), as: UTF8.self)
        try await platform.deliver(filePath, bytes: bytes, code: 0, as: TestPlatform.first)
        return try #require(try await platform.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: filePath)).id
    }

    @Test("A cpu-profile run: folded text, a gzip pprof, an SVG; a viewer may read them; its histograms are 409")
    func stackRun() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let id = try await run(platform, fixture: "cpu-profile.ndjson", filePath: "/tmp/cpu.trace")

        let folded = try await platform.call("GET", "/api/runs/\(id)/folded", bearer: token)
        #expect(folded.status == 200 && folded.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(folded.text.hasPrefix("bash;0x30;0x55eda2749cd9 2\nbash;0x55eda272e6d5 2\n") && folded.text.split(separator: "\n").count == 14)
        #expect(folded.headers["lambda-skipped-lines"] == "0")

        let pprof = try await platform.call("GET", "/api/runs/\(id)/profile.pb.gz", bearer: token)
        #expect(pprof.status == 200 && Array(pprof.body.prefix(2)) == [0x1F, 0x8B])
        let svg = try await platform.call("GET", "/api/runs/\(id)/flamegraph.svg", bearer: token)
        #expect(svg.status == 200 && svg.headers["content-type"] == "image/svg+xml")
        #expect(svg.text.contains("<title>all (27 samples, 100%)</title>"))

        let histograms = try await platform.call("GET", "/api/runs/\(id)/histograms", bearer: token)
        #expect(histograms.status == 409 && histograms.text.contains("no histogram") && histograms.text.contains("hist()"))
        let otherMap = try await platform.call("GET", "/api/runs/\(id)/folded?map=@nope", bearer: token)
        #expect(otherMap.status == 409 && otherMap.text.contains("@nope") && otherMap.text.contains("@cpu_samples"))
    }

    @Test("A block-io run: histograms JSON; its folded, pprof and SVG are 409 naming the stack map it lacks")
    func histogramRun() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let id = try await run(platform, fixture: "block-io.ndjson", filePath: "/tmp/block.trace")
        let histograms = try await platform.call("GET", "/api/runs/\(id)/histograms", bearer: token)
        #expect(histograms.status == 200 && histograms.headers["content-type"] == "application/json")
        #expect(
            histograms.text.hasPrefix(
                #"{"intervals": [{"marker": "interval", "nsecs": 42977491064819, "histograms": [{"map": "@block_io_us", "key": "254,0,RM""#
            )
        )
        for route in ["folded", "profile.pb.gz", "flamegraph.svg"] {
            let answer = try await platform.call("GET", "/api/runs/\(id)/\(route)", bearer: token)
            #expect(
                answer.status == 409 && answer.text.contains("no stack map") && answer.text.contains("ustack or kstack"),
                "\(route): \(answer.text)"
            )
        }
    }

    @Test("Without a token 401; an unknown run 404")
    func refusals() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        for route in ["folded", "profile.pb.gz", "flamegraph.svg", "histograms"] {
            #expect(try await platform.call("GET", "/api/runs/x/\(route)").status == 401)
            #expect(try await platform.call("GET", "/api/runs/no-such-run/\(route)", bearer: token).status == 404)
        }
    }
}
