import EndpointTestSupport
import Foundation
import Hummingbird
import Testing

@testable import PlatformServer

@Suite("Followers of streams are bounded")
struct StreamFollowersTests {
    @Test(
        "Beyond the bound a follow is 503 while a plain read still works; a follower that left gives its place back once the run was quiet for the idle limit"
    )
    func bound() async throws {
        let test = try await TestPlatform()
        defer { Task { await test.stop() } }
        // The platform's routes with room for one follower, whose follow ends after 5 s
        // without new bytes.
        let router = Router(context: PlatformContext.self)
        EndpointRoutes(platform: test.platform).add(to: router)
        let api = router.group("api").add(middleware: OperatorAuthentication(platform: test.platform))
        RunRoutes(platform: test.platform, maxFollowers: 1, followIdleLimit: .seconds(5)).add(to: api)
        let server = await LoopbackServer(router: router, label: "one-follower")
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let token = try await test.token("viewer")
        let chunk = #"{"trace": "/tmp/f.trace", "no": 0, "field": "\#(Data("x\n".utf8).base64EncodedString())"}"#
        #expect(try await test.call("PUT", "/submit", as: TestPlatform.first, json: chunk).status == 200)
        let run = try #require(try await test.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: "/tmp/f.trace"))

        // The first follower is curl, killed later: its connection closes for certain.
        let headerFile = test.directory + "/curl-headers"
        try Data("Authorization: Bearer \(token)\n".utf8).write(to: URL(fileURLWithPath: headerFile))
        let follower = try SpawnedProcess(
            executable: "/usr/bin/curl",
            arguments: ["-sN", "-H", "@\(headerFile)", "\(base)/api/runs/\(run.id)/stream?follow=true"]
        )
        defer { follower.send(SIGKILL) }
        try await eventually("curl follows") { follower.standardOutput == "x\n" }
        let refused = try await HTTPAnswer.call(base, "GET", "/api/runs/\(run.id)/stream?follow=true", bearer: token)
        #expect(refused.status == 503 && refused.text.contains("followed already"))
        let plain = try await HTTPAnswer.call(base, "GET", "/api/runs/\(run.id)/stream", bearer: token)
        #expect(plain.status == 200 && plain.text == "x\n")

        // A follower that goes away while the run is quiet: its place is given back once
        // the idle limit has passed (nothing was written that could fail before).
        follower.send(SIGKILL)
        let next = try await eventuallyValue("the place of a follower gone is given back", timeout: .seconds(20), poll: .milliseconds(200)) {
            let reader = try await StreamReader.open("\(base)/api/runs/\(run.id)/stream?follow=true", bearer: token)
            try await eventually("an answer") { reader.status != nil || reader.ended }
            if reader.status == 200 { return reader }
            reader.cancel()
            return nil
        }
        try await next.waitFor(Data("x\n".utf8))
        let finished = #"{"trace": "/tmp/f.trace", "stderr": "", "code": 0, "status": "finished"}"#
        #expect(try await test.call("PUT", "/submit", as: TestPlatform.first, json: finished).status == 200)
        try await next.waitForEnd()
        let afterEnd = try await HTTPAnswer.call(base, "GET", "/api/runs/\(run.id)/stream?follow=true", bearer: token)
        #expect(afterEnd.status == 200 && afterEnd.text == "x\n")
    }
}
