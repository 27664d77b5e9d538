import EndpointTestSupport
import Foundation
import Synchronization
import Testing

@testable import Runs

/// A tracer's stdout read in batches (`ChildProcess.drain`): bash's `echo` makes one
/// `write` per line, as bpftrace does per event, so these are real line-by-line writers.
@Suite("Reading a tracer's output in batches")
struct OutputBatchingTests {
    /// What `onOutput` saw: the blocks' sizes and their bytes, in order.
    final class Blocks: Sendable {
        private let state = Mutex<(sizes: [Int], bytes: [UInt8])>(([], []))
        func append(_ block: UnsafeRawBufferPointer) {
            state.withLock {
                $0.sizes.append(block.count)
                $0.bytes.append(contentsOf: block)
            }
        }
        var sizes: [Int] { state.withLock { $0.sizes } }
        var bytes: [UInt8] { state.withLock { $0.bytes } }
    }

    /// Runs `script` under bash and waits for its exit; returns what stdout gave.
    func run(_ script: String, batchWindow: Duration, until done: Duration = .seconds(30)) async throws -> Blocks {
        let blocks = Blocks()
        let exited = Mutex<Int32?>(nil)
        _ = try ChildProcess(
            executable: "/bin/bash",
            arguments: ["-c", script],
            environment: ["PATH": "/usr/bin:/bin"],
            standardInput: [],
            outputBatchWindow: batchWindow,
            onOutput: { blocks.append($0) },
            onError: { _ in },
            onExit: { code in exited.withLock { $0 = code } }
        )
        try await eventually("bash to exit", timeout: done, poll: .milliseconds(10)) { exited.withLock { $0 } != nil }
        #expect(exited.withLock { $0 } == 0)
        return blocks
    }

    static let lines = 20000
    static let script = "for i in $(seq 1 \(lines)); do echo \"event line $i of the batching test\"; done"
    static var expected: [UInt8] { Array((1...lines).map { "event line \($0) of the batching test\n" }.joined().utf8) }

    @Test("20000 one-line writes arrive in a few hundred blocks at most, every byte in order")
    func linesAreBatched() async throws {
        let blocks = try await run(Self.script, batchWindow: .milliseconds(2))
        let whole = blocks.bytes == Self.expected
        #expect(whole, "the bytes read are not the bytes written")
        // Without batching the same script gives one block per line or close to it.
        #expect(blocks.sizes.count <= Self.lines / 20, "\(blocks.sizes.count) blocks for \(Self.lines) lines")
    }

    @Test("Without a window every read is handed on at once (the per-line path the window removes)")
    func noWindowIsPerRead() async throws {
        let blocks = try await run(Self.script, batchWindow: .zero)
        let whole = blocks.bytes == Self.expected
        #expect(whole)
        #expect(blocks.sizes.count > Self.lines / 20, "\(blocks.sizes.count) blocks: the writer outran the reader, so this proves nothing")
    }

    @Test("A lone line is handed on after the window, not held until more output or the exit")
    func loneLineIsNotHeld() async throws {
        let blocks = Blocks()
        let child = try ChildProcess(
            executable: "/bin/bash",
            arguments: ["-c", "echo first; exec sleep 30"],
            environment: ["PATH": "/usr/bin:/bin"],
            standardInput: [],
            outputBatchWindow: .milliseconds(2),
            onOutput: { blocks.append($0) },
            onError: { _ in },
            onExit: { _ in }
        )
        defer { child.sendToGroup(SIGKILL) }
        try await eventually("the lone line handed on", timeout: .seconds(5), poll: .milliseconds(5)) { !blocks.bytes.isEmpty }
        #expect(blocks.bytes == Array("first\n".utf8))
    }
}
