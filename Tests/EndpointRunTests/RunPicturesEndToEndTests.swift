import EndpointTestSupport
import Foundation
import Testing

/// The pictures of a run made for real: a pull endpoint runs the catalogue's cpu-profile
/// with real bpftrace on a bash loop that burns a CPU, delivers the stream to the platform,
/// and the platform draws it. The bash is the target: with the whole host in scope (other
/// tests' compilers among it) a run here printed no map within its lasting and grace and
/// was killed (code 137, three lines of stream); bpftrace symbolises every user stack it
/// prints.
@Suite("Run pictures of a real cpu-profile run", .serialized, .enabled(if: getuid() == 0, "needs root for the tracer"))
struct RunPicturesEndToEndTests {
    @Test("A real cpu-profile session: folded stacks with the busy bash, a pprof whose total go tool pprof agrees with, an SVG")
    func cpuProfile() async throws {
        let busy = try busyBash(seconds: 40)
        defer { busy.send(SIGKILL) }
        let platform = try await SessionPlatform()
        defer { Task { await platform.stop() } }
        let endpoint = try EndpointProcess(
            platformURL: platform.url,
            lambda: PullEndpoints.db.settings(platformURL: platform.url, control: "both", labels: "{role: db}")
        )
        defer { _ = endpoint }
        try await eventually("the pull endpoint registered", timeout: .seconds(20)) {
            try await platform.platform.endpoints.endpoint(PullEndpoints.db.uuid) != nil
        }
        let id = try await platform.createSession(
            #"{"name": "where the CPU goes", "selector": "role=db", "analysis": {"name": "cpu-profile", "parameters": {"interval": 1, "frequency": 99}}, "target": {"pid": \#(busy.pid)}, "lasting": 3}"#
        )
        #expect(try await platform.api("PUT", "/api/sessions/\(id)", json: #"{"run": true}"#).status == 200)
        let (finished, _) = try await SessionRunTests.follow(platform, id)
        let run = try #require(finished.endpoints.first?.run)

        let record = try #require(try await platform.platform.runs.run(run))
        #expect(record.code == 0 && record.complete, "\(record)")
        let folded = try await platform.api("GET", "/api/runs/\(run)/folded")
        #expect(folded.status == 200)
        let lines = folded.text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("bash;") }, "\(folded.text.prefix(2000))")
        let total = lines.reduce(Int64(0)) { $0 + (Int64($1.split(separator: " ").last ?? "") ?? 0) }
        #expect(total > 50, "3 s at 99 Hz of a busy CPU")

        let profile = try await platform.api("GET", "/api/runs/\(run)/profile.pb.gz")
        #expect(profile.status == 200)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpu-\(UUID().uuidString).pb.gz").path
        try profile.body.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, top) = try runCommand("/usr/bin/go", ["tool", "pprof", "-top", path])
        #expect(status == 0 && top.contains("of \(total) total"), "\(top.prefix(1500))")

        let svg = try await platform.api("GET", "/api/runs/\(run)/flamegraph.svg")
        #expect(svg.status == 200 && svg.text.contains("<title>all (\(total) samples, 100%)</title>") && svg.text.contains("<title>bash ("))
        #expect(try await platform.api("GET", "/api/runs/\(run)/histograms").status == 409)
    }
}
