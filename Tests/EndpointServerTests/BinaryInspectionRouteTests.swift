import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Routes that read a template's binary: refused files, no stall")
struct BinaryInspectionRouteTests {
    static func template(_ process: String) -> String {
        #"{"process":"\#(process)","functions":["xmalloc"],"traceType":["BPF"]}"#
    }

    @Test("PUT /trace: a FIFO, an empty file or a text file as process is 400 naming process, nothing stored")
    func refusedAtStore() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        let directory = endpoint.directory.path
        #expect(mkfifo("\(directory)/fifo", 0o600) == 0)
        _ = FileManager.default.createFile(atPath: "\(directory)/empty", contents: nil)
        _ = FileManager.default.createFile(atPath: "\(directory)/text", contents: Data("#!/bin/sh\nexit 0\n".utf8))
        let cases = [
            ("\(directory)/fifo", "is not a regular file"),
            ("\(directory)/empty", "is an empty file, not a program"),
            ("\(directory)/text", "is not an ELF binary"),
        ]
        try await endpoint.application().test(.router) { client in
            for (path, reason) in cases {
                try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.template(path).buffer) {
                    response in
                    #expect(response.status == .badRequest, "\(path)")
                    #expect(response.text == errorBody("process: '\(path)' \(reason)"))
                }
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[]")
            }
        }
    }

    /// A FIFO blocks a plain `open` until a writer comes. (The old code's `stat` at
    /// start caught a FIFO already in place, so this passed before too; one swapped in
    /// between that `stat` and the mapping `open` blocked a thread for good, a race this
    /// test cannot time. Now the only `open` is non-blocking and checked with `fstat`.)
    @Test("POST /trace/start: a FIFO renamed over a stored template's binary is 400 within seconds, and /heartbeat answers meanwhile")
    func fifoSwappedInAtStart() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        let binary = endpoint.directory.path + "/program"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: binary)
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.template(binary).buffer) { response in
                #expect(response.status == .ok)
            }
            #expect(mkfifo(binary + ".fifo", 0o600) == 0)
            #expect(rename(binary + ".fifo", binary) == 0)
            let clock = ContinuousClock()
            let started = clock.now
            let start = Task {
                try await client.execute(
                    uri: "/trace/start",
                    method: .post,
                    headers: TestEndpoint.jsonHeaders,
                    body: #"{"traceT":"BPF","traceId":1,"lasting":5}"#.buffer
                ) { response in
                    (response.status, response.text)
                }
            }
            let heartbeat = try await withinDeadline(seconds: 5) {
                try await client.execute(uri: "/heartbeat", method: .get) { $0.status }
            }
            #expect(heartbeat == .ok)
            let answer = try await withinDeadline(seconds: 10) { try await start.value }
            let elapsed = clock.now - started
            #expect(answer?.0 == .badRequest, "no answer within 10 s")
            #expect(answer?.1 == errorBody("template 1 is no longer valid: process: '\(binary)' is not a regular file"))
            #expect(elapsed < .seconds(5), "\(elapsed)")
        }
    }
}
