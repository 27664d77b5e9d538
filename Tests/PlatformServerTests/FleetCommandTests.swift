import EndpointTestSupport
import Foundation
import Hummingbird
import Testing

/// A fake operator API: `GET /api/sessions`, `/api/runs` and `/api/events` answering fixed
/// lists to the one token it knows. A fake because those routes are written beside this
/// command (docs/platform.md, *The fleet CLI*); what is tested here is the command's
/// rendering of a 200 JSON list, and its `--json`, not the routes.
struct FakeOperatorAPI {
    static let token = String(repeating: "f", count: 64)
    static let sessions =
        #"[{"created":"2026-12-07T10:00:00.000Z","createdBy":"alice","endpoints":[{"uuid":"a"},{"uuid":"b"}],"id":"s-1","name":"db load","running":true,"selector":"role=db"}]"#
    static let runs =
        #"[{"bytes":1024,"code":0,"complete":true,"endpoint":"6f1d9a4e","finished":"2026-12-07T10:01:00.000Z","id":"r-1","session":null,"started":"2026-12-07T10:00:00.000Z"}]"#
    static let events = #"[{"endpoint":"6f1d9a4e","kind":"run-started","run":"/tmp/x.trace","time":"2026-12-07T10:00:00.000Z"}]"#

    let server: LoopbackServer
    var url: String { "http://127.0.0.1:\(server.port)" }

    init() async {
        let router = Router()
        for (path, body) in [("api/sessions", Self.sessions), ("api/runs", Self.runs), ("api/events", Self.events)] {
            router.get(RouterPath(path)) { request, _ -> Response in
                guard request.headers[.authorization] == "Bearer \(Self.token)" else { return Response(status: .unauthorized) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
        server = await LoopbackServer(router: router, label: "fake-operator-api")
    }
}

@Suite("lambda-platform fleet sessions|runs|events render a JSON list (against a fake operator API)")
struct FleetCommandTests {
    @Test("Tables for people, the answer as it came with --json")
    func listings() async throws {
        let fake = await FakeOperatorAPI()
        defer { fake.server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokenFile = privateFile(directory, "token", FakeOperatorAPI.token + "\n")
        func fleet(_ arguments: [String]) throws -> (code: Int32?, output: String, error: String) {
            try platformCommand(["fleet"] + arguments + ["--url", fake.url, "--token-file", tokenFile])
        }

        let sessions = try fleet(["sessions"])
        #expect(sessions.code == 0, "\(sessions.error)")
        #expect(
            sessions.output == """
                ID   NAME     SELECTOR  RUNNING  CREATED                   BY     ENDPOINTS
                s-1  db load  role=db   yes      2026-12-07T10:00:00.000Z  alice  2

                """
        )
        let runs = try fleet(["runs"])
        #expect(
            runs.output == """
                ID   ENDPOINT  SESSION  STARTED                   FINISHED                  CODE  BYTES  COMPLETE
                r-1  6f1d9a4e  -        2026-12-07T10:00:00.000Z  2026-12-07T10:01:00.000Z  0     1024   yes

                """
        )
        let events = try fleet(["events"])
        #expect(
            events.output == """
                TIME                      ENDPOINT  KIND         RUN
                2026-12-07T10:00:00.000Z  6f1d9a4e  run-started  /tmp/x.trace

                """
        )
        for (command, body) in [("sessions", FakeOperatorAPI.sessions), ("runs", FakeOperatorAPI.runs), ("events", FakeOperatorAPI.events)] {
            let json = try fleet([command, "--json"])
            #expect(json.code == 0 && json.output == body + "\n", "\(command)")
        }
        let wrongToken = privateFile(directory, "wrong", String(repeating: "0", count: 64))
        let refused = try platformCommand(["fleet", "runs", "--url", fake.url, "--token-file", wrongToken])
        #expect(refused.code == 1 && refused.error.hasPrefix("lambda-platform: GET /api/runs: 401"))
    }
}
