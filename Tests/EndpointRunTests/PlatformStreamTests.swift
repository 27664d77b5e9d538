import EndpointTestSupport
import Foundation
import Logging
import PlatformServer
import PlatformStore
import Testing

/// The platform's streams with a real endpoint, real bpftrace and the real `lambda-platform`:
/// a platform SIGKILLed mid-stream and started again on its database loses nothing the
/// endpoint was told was stored, and the stream read back is the run file byte for byte.
@Suite("The platform's streams from a real endpoint", .serialized)
struct PlatformStreamTests {
    static let identity = PullEndpoints.pushed
    /// Small chunks sent often: many chunks are stored before the kill and after it.
    static let settings: [String: String?] = [
        "submit-chunk-size": "4096", "submit-flush-interval": "0.05", "submit-retry-initial": "0.1", "submit-retry-max": "1",
    ]

    func endpoint(platformURL: String) throws -> EndpointProcess {
        try EndpointProcess(
            platformURL: platformURL,
            lambda: Self.identity.settings(platformURL: platformURL, control: "push").merging(Self.settings) { $1 }
        )
    }

    /// The stream of run `id` through `GET /api/runs/{id}/stream`.
    func stream(_ base: String, run id: String, token: String) async throws -> Data {
        let answer = try await HTTPAnswer.call(base, "GET", "/api/runs/\(id)/stream", bearer: token)
        #expect(answer.status == 200 && answer.headers["content-type"] == "application/x-ndjson")
        return answer.body
    }

    @Test("SIGKILL of lambda-platform mid-stream, restarted on its database: the run completes, its stream is the run file byte for byte")
    func killedMidStream() async throws {
        let platform = try PlatformProcess(endpoints: [.init(uuid: Self.identity.uuid, secret: Self.identity.secret)])
        defer { platform.stop() }
        let endpoint = try endpoint(platformURL: platform.url)
        let number = try await endpoint.putTemplate(TraceRunTests.bashTemplate)
        let busy = try busyBash(seconds: 12)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 6)
        try await eventually("the platform acknowledged some chunks", timeout: .seconds(30)) {
            (try await endpoint.runStatus(filePath)?.chunksAcknowledged ?? 0) >= 3
        }
        platform.kill(SIGKILL)
        let acknowledgedAtKill = try await endpoint.runStatus(filePath)?.chunksAcknowledged ?? 0
        // The endpoint meets a closed port for a while, then the platform is back.
        try await Task.sleep(for: .seconds(1))
        try platform.restart()
        let delivered = try await endpoint.waitForState(filePath, .delivered, timeout: .seconds(60))
        #expect(delivered.exitCode == 0)
        let acknowledged = delivered.chunksAcknowledged
        #expect(acknowledged > acknowledgedAtKill, "chunks were delivered after the restart")

        let token = try await PlatformDatabaseAccess.token(of: platform)
        let runs = try await HTTPAnswer.call(platform.url, "GET", "/api/runs?endpoint=\(Self.identity.uuid)", bearer: token)
        let listed = try #require(try JSONSerialization.jsonObject(with: runs.body) as? [[String: Any]])
        let run = try #require(listed.first { $0["filePath"] as? String == filePath })
        #expect(run["complete"] as? Bool == true && run["code"] as? Int == 0 && run["chunks"] as? Int == acknowledged)
        let id = try #require(run["id"] as? String)
        let runFile = try #require(FileManager.default.contents(atPath: filePath))
        let stored = try await stream(platform.url, run: id, token: token)
        #expect(stored.count == runFile.count)
        #expect(stored == runFile, "the stream read back differs from the run file")
    }

    @Test("follow=true carries a live run's bytes before it ends, then all of them")
    func followLive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-follow-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = PlatformSettings()
        settings.directory = directory
        settings.endpoints = [.init(uuid: Self.identity.uuid, secret: Self.identity.secret)]
        let platform = Platform(settings: settings, database: try await PlatformDatabaseOpening.open(settings, logger: Logger(label: "test")))
        let server = await LoopbackServer(router: buildPlatformRouter(platform: platform), label: "test-platform")
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let token = try await PlatformDatabaseAccess.token(in: platform.database)

        let endpoint = try endpoint(platformURL: base)
        let number = try await endpoint.putTemplate(TraceRunTests.bashTemplate)
        let busy = try busyBash(seconds: 10)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 5)
        let run = try await eventuallyValue("the run is at the platform", timeout: .seconds(20)) {
            try await platform.runs.run(endpoint: Self.identity.uuid, filePath: filePath)
        }
        let reader = try await StreamReader.open("\(base)/api/runs/\(run.id)/stream?follow=true", bearer: token)
        defer { reader.cancel() }
        try await eventually("the follower has bytes of the live run", timeout: .seconds(20)) { !reader.received.isEmpty }
        // The first chunk (ready and binary lines) can reach the platform before the
        // endpoint's status leaves `starting`: wait for `running`, which a 5 s run holds.
        let live = try await eventuallyValue("the endpoint reports the run running", timeout: .seconds(5)) {
            try await endpoint.runStatus(filePath).flatMap { $0.state == .starting ? nil : $0 }
        }
        #expect(live.state == .running, "bytes arrived before the run ended")
        #expect(!reader.ended)
        try await reader.waitForEnd(timeout: .seconds(60))
        #expect(reader.status == 200)
        let runFile = try #require(FileManager.default.contents(atPath: filePath))
        #expect(reader.received == runFile, "the followed stream differs from the run file")
        await platform.database.close()
    }
}
