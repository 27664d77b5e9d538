import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

@Suite("Receiver: reassembling chunks, bounded whatever their numbers")
struct SubmitStoreTests {
    static func store() throws -> (SubmitStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("submit-store-test-\(UUID().uuidString)").path
        return (try SubmitStore(directory: directory), directory)
    }

    static let trace = "/tmp/far.trace"

    /// The old store held chunk 10^15 as pending and `finished` listed every number
    /// below it: a loop of 10^15 steps (and an array as large), i.e. a hang.
    @Test("A chunk numbered 10^15 is refused; finished then answers within a second, incomplete")
    func farChunk() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ContinuousClock()
        let started = clock.now
        let received = try await withinDeadline(seconds: 1) { () async throws -> (SubmitStore.Rejection?, ReceivedTrace) in
            _ = try await store.receive(.start(trace: Self.trace))
            _ = try await store.receive(.chunk(trace: Self.trace, no: 0, bytes: Data("a".utf8)))
            var rejection: SubmitStore.Rejection?
            do {
                _ = try await store.receive(.chunk(trace: Self.trace, no: 1_000_000_000_000_000, bytes: Data("b".utf8)))
            } catch let error as SubmitStore.Rejection {
                rejection = error
            }
            return (rejection, try await store.receive(.finished(trace: Self.trace, stderr: "", code: 0)))
        }
        #expect(clock.now - started < .seconds(1))
        let (rejection, trace) = try #require(received, "no answer within a second")
        #expect(rejection == .chunkTooFarAhead(no: 1_000_000_000_000_000, next: 1))
        #expect(rejection.map { "\($0)" } == "no: chunk 1000000000000000 is 65536 or more ahead of the next expected chunk 1; refused")
        #expect(trace.verdict == .incomplete)
        #expect(trace.refusedChunks == 1)
        #expect(trace.chunks == 1 && trace.gaps.isEmpty && trace.missingChunks == 0)
    }

    @Test("Gaps below the highest chunk held: listed up to the cap, all counted, the verdict incomplete")
    func gapsAreBounded() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.receive(.start(trace: Self.trace))
        for no in [0, 2, 5, 60_000] {
            _ = try await store.receive(.chunk(trace: Self.trace, no: no, bytes: Data("\(no)".utf8)))
        }
        let trace = try await store.receive(.finished(trace: Self.trace, stderr: "", code: 0))
        #expect(trace.verdict == .incomplete)
        #expect(trace.missingChunks == 1 + 2 + (60_000 - 6))
        #expect(trace.gaps.count == SubmitStore.maxListedGaps)
        #expect(Array(trace.gaps.prefix(4)) == [1, 3, 4, 6])
        #expect(trace.gaps.last == 6 + SubmitStore.maxListedGaps - 4)
        // A chunk just inside the window ahead is held; one at its edge is refused.
        await #expect(throws: SubmitStore.Rejection.chunkTooFarAhead(no: 1 + SubmitStore.maxChunksAhead, next: 1)) {
            try await store.receive(.chunk(trace: Self.trace, no: 1 + SubmitStore.maxChunksAhead, bytes: Data()))
        }
        _ = try await store.receive(.chunk(trace: Self.trace, no: SubmitStore.maxChunksAhead, bytes: Data()))
    }
}
