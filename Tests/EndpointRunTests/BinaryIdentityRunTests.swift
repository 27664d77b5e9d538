import EndpointTestSupport
import Foundation
import Testing

/// What a run says of the binary it traced, and the pins that refuse another build.
@Suite("The binary a run traces", .serialized)
struct BinaryIdentityRunTests {
    /// The line the endpoint writes after `ready`, with the values the tools give.
    static func binaryLine(_ path: String, _ facts: BinaryFacts) -> String {
        #"{"type": "value", "data": ["binary","\#(path)",\#(facts.buildId.map { "\"\($0)\"" } ?? "null"),"\#(facts.sha256)"]}"#
    }

    @Test("Real bpftrace: the line right after ready is the binary tuple, equal to readelf -n and sha256sum of the traced file")
    func streamSaysWhichBinary() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.verdict == .complete && received.code == 0)
        let lines = String(decoding: try await receiver.stream(filePath), as: UTF8.self).split(separator: "\n").map(String.init)
        let ready = try #require(lines.firstIndex { $0.hasPrefix(#"{"type": "value", "data": ["ready","#) })
        #expect(lines[ready + 1] == Self.binaryLine("/bin/bash", BinaryFacts.bash))
        #expect(lines.filter { $0.contains(#"["binary","#) }.count == 1)
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.binaryChanged == false)
    }

    @Test("A template pinned to another sha256 or build-id: the start is 409 showing both, and nothing runs")
    func pinRefuses() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let facts = BinaryFacts.bash
        let wrongSHA = String(repeating: "0", count: 64)
        for (pin, shown) in [(#""sha256":"\#(wrongSHA)""#, "sha256 \(wrongSHA)"), (#""buildId":"00ff""#, "buildId 00ff")] {
            let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],\#(pin)}"#)
            let answer = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":5}"#)
            #expect(answer.status == 409)
            #expect(
                try answer.decoded(as: ErrorAnswer.self).error
                    == "process: '/bin/bash' is not the build template \(number) pins: pinned \(shown), found buildId \(facts.buildId ?? "none") sha256 \(facts.sha256)"
            )
        }
        #expect(try await endpoint.runningRuns().isEmpty)
        // The right pins start.
        let pinned = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],"sha256":"\#(facts.sha256)","buildId":"\#(facts.buildId ?? "")"}"#
        )
        let filePath = try await endpoint.start(traceId: pinned, lasting: 1)
        #expect(await receiver.waitForFinished(filePath, timeout: 20)?.verdict == .complete)
    }

    @Test("A binary rewritten after its template was stored: the run goes on, says binaryChanged, and its stream names the new build")
    func binaryChanged() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-binary-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let program = directory + "/bash"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: program)
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // The fake tracer prints the ready line and waits: the stream's binary line is the
        // endpoint's, whatever the tracer.
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh")])
        let number = try await endpoint.putTemplate(#"{"process":"\#(program)","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let handle = try #require(FileHandle(forWritingAtPath: program))
        try handle.seekToEnd()
        handle.write(Data("rebuilt".utf8))
        try handle.close()
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let running = try await endpoint.waitForState(filePath, .running)
        #expect(running.binaryChanged)
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 15))
        #expect(received.verdict == .complete)
        let lines = String(decoding: try await receiver.stream(filePath), as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == [#"{"type": "value", "data": ["ready",1]}"#, Self.binaryLine(program, try BinaryFacts(of: program))])
    }

    @Test(
        "A pinned binary rewritten in place (4 bytes, same inode and size) with its mtime set back: the next start is 409 showing both hashes"
    )
    func pinHoldsAgainstRestoredMtime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-binary-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let program = directory + "/bash"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: program)
        let stored = try BinaryFacts(of: program)
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh")])
        // Storing the template reads (and caches) the build it pins.
        let number = try await endpoint.putTemplate(
            #"{"process":"\#(program)","functions":["xmalloc"],"traceType":["BPF"],"sha256":"\#(stored.sha256)"}"#
        )
        var before = stat()
        #expect(stat(program, &before) == 0)
        try Self.rewriteInPlace(program, at: Int(stored.size / 2), count: 4)
        // The owner sets the times back: only the ctime, which nobody can set, still moved.
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, program, &times, 0) == 0)
        var after = stat()
        #expect(stat(program, &after) == 0)
        #expect(after.st_ino == before.st_ino && after.st_size == before.st_size, "the same file, the same size")
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec, "the mtime set back")
        let rewritten = try BinaryFacts(of: program)
        #expect(rewritten.sha256 != stored.sha256)

        let answer = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":5}"#)
        #expect(answer.status == 409, "\(answer.body)")
        #expect(
            (try? answer.decoded(as: ErrorAnswer.self))?.error
                == "process: '\(program)' is not the build template \(number) pins: pinned sha256 \(stored.sha256), found buildId \(rewritten.buildId ?? "none") sha256 \(rewritten.sha256)"
        )
        #expect(try await endpoint.runningRuns().isEmpty, "nothing runs")
    }

    /// Flips `count` bytes at `offset` of the file in place: the same inode, the same size.
    static func rewriteInPlace(_ path: String, at offset: Int, count: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let original = try #require(try handle.read(upToCount: count))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(original.map { $0 ^ 0xff }))
    }
}
