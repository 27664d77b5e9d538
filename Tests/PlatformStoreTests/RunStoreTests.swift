import Foundation
import PlatformStore
import PlatformWire
import SQLKit
import Testing

@Suite("Streams stored as chunks in the platform's database")
struct RunStoreTests {
    let endpoint = "0b5c8a52-3f6e-4c61-9d3e-6f1a2b3c4d5e"

    func text(_ store: RunStore, _ run: RunRecord) async throws -> String {
        String(decoding: try await store.chunks(of: run.id, from: 0, upTo: run.chunks, maxChunks: 1000).reduce(Data(), +), as: UTF8.self)
    }

    @Test("Chunks out of order: the contiguous prefix grows as gaps fill; finished makes it complete")
    func outOfOrder() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        _ = try await store.receive(.start(trace: "/tmp/a.trace"), from: endpoint)
        var receipt = try await store.receive(.chunk(trace: "/tmp/a.trace", no: 2, bytes: Data("c\n".utf8)), from: endpoint)
        #expect(receipt.run.chunks == 0 && receipt.run.highestNo == 2 && receipt.run.storedBytes == 2)
        receipt = try await store.receive(.chunk(trace: "/tmp/a.trace", no: 0, bytes: Data("a\n".utf8)), from: endpoint)
        #expect(receipt.run.chunks == 1 && receipt.run.bytes == 2)
        #expect(try await text(store, receipt.run) == "a\n")
        receipt = try await store.receive(.chunk(trace: "/tmp/a.trace", no: 1, bytes: Data("bb\n".utf8)), from: endpoint)
        #expect(receipt.run.chunks == 3 && receipt.run.bytes == 7)
        #expect(try await text(store, receipt.run) == "a\nbb\nc\n")
        #expect(!receipt.run.complete)
        receipt = try await store.receive(.finished(trace: "/tmp/a.trace", stderr: "warn\n", code: 0), from: endpoint)
        #expect(receipt.run.complete && receipt.run.code == 0 && receipt.run.stderr == "warn\n")
    }

    @Test("A repeated chunk changes nothing; the same no with other bytes is a conflict, and nothing changes either")
    func repeats() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        _ = try await store.receive(.chunk(trace: "/tmp/b.trace", no: 0, bytes: Data("one\n".utf8)), from: endpoint)
        let again = try await store.receive(.chunk(trace: "/tmp/b.trace", no: 0, bytes: Data("one\n".utf8)), from: endpoint)
        #expect(!again.changed && again.run.chunks == 1 && again.run.bytes == 4)
        await #expect(throws: RunStore.Refusal.conflict(no: 0)) {
            _ = try await store.receive(.chunk(trace: "/tmp/b.trace", no: 0, bytes: Data("two\n".utf8)), from: endpoint)
        }
        let run = try #require(try await store.run(endpoint: endpoint, filePath: "/tmp/b.trace"))
        #expect(try await text(store, run) == "one\n" && run.storedBytes == 4)
        let finished = try await store.receive(.finished(trace: "/tmp/b.trace", stderr: "", code: 3), from: endpoint)
        let finishedAgain = try await store.receive(.finished(trace: "/tmp/b.trace", stderr: "other", code: 4), from: endpoint)
        #expect(finished.changed && !finishedAgain.changed && finishedAgain.run.code == 3)
    }

    @Test("Bounds: a chunk 65536 or more ahead, or bytes ahead past 256 MiB, is refused and stores nothing")
    func bounds() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        await #expect(throws: RunStore.Refusal.tooFarAhead(no: 65536, next: 0)) {
            _ = try await store.receive(.chunk(trace: "/tmp/c.trace", no: 65536, bytes: Data("x".utf8)), from: endpoint)
        }
        await #expect(throws: RunStore.Refusal.negativeChunkNumber) {
            _ = try await store.receive(.chunk(trace: "/tmp/c.trace", no: -1, bytes: Data("x".utf8)), from: endpoint)
        }
        // The refused message's transaction rolled back: not even the run exists.
        #expect(try await store.run(endpoint: endpoint, filePath: "/tmp/c.trace") == nil)
    }

    @Test("Committed messages survive closing and reopening the file; two endpoints' same file path are two runs")
    func reopen() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        var store = RunStore(database: temporary.database)
        _ = try await store.receive(.chunk(trace: "/tmp/d.trace", no: 0, bytes: Data("kept\n".utf8)), from: endpoint)
        _ = try await store.receive(.chunk(trace: "/tmp/d.trace", no: 0, bytes: Data("other\n".utf8)), from: "another")
        try await temporary.reopen()
        store = RunStore(database: temporary.database)
        let run = try #require(try await store.run(endpoint: endpoint, filePath: "/tmp/d.trace"))
        #expect(try await text(store, run) == "kept\n")
        #expect(try await store.runs().count == 2)
        #expect(try await PlatformSchema.version(of: temporary.database) == PlatformSchema.latestVersion)
    }
}

@Suite("max-runs holds between retention sweeps")
struct RunStoreBoundTests {
    let endpoint = "0b5c8a52-3f6e-4c61-9d3e-6f1a2b3c4d5e"

    @Test("A new stream beyond max-runs removes the oldest finished run with its chunks; with every run running it is refused and nothing is stored")
    func maxRuns() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database, maxRuns: 2)
        _ = try await store.receive(.chunk(trace: "/tmp/1.trace", no: 0, bytes: Data("one\n".utf8)), from: endpoint, now: 1)
        _ = try await store.receive(.finished(trace: "/tmp/1.trace", stderr: "", code: 0), from: endpoint, now: 2)
        _ = try await store.receive(.start(trace: "/tmp/2.trace"), from: endpoint, now: 3)
        _ = try await store.receive(.start(trace: "/tmp/3.trace"), from: endpoint, now: 4)
        #expect(try await store.runs().map(\.filePath).sorted() == ["/tmp/2.trace", "/tmp/3.trace"], "the finished one made room")
        let chunks = try await temporary.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM chunks").first(decodingColumn: "n", as: Int.self)
        }
        #expect(chunks == 0, "its chunks went with it")
        await #expect(throws: RunStore.Refusal.tooManyRuns(limit: 2)) {
            _ = try await store.receive(.start(trace: "/tmp/4.trace"), from: endpoint, now: 5)
        }
        #expect(try await store.runs().count == 2)
        // A run already kept still takes its messages.
        #expect(try await store.receive(.chunk(trace: "/tmp/2.trace", no: 0, bytes: Data("x".utf8)), from: endpoint, now: 6).changed)
    }
}
