import Foundation
import RunPictures
import Testing

/// `GET /api/runs/{id}/histograms` as docs/platform-openapi.yaml describes it.
struct HistogramAnswer: Decodable, Equatable {
    struct Bucket: Decodable, Equatable {
        let min: Int64?
        let max: Int64?
        let count: Int64
    }

    struct Histogram: Decodable, Equatable {
        let map: String
        let key: String?
        let buckets: [Bucket]
    }

    struct Interval: Decodable, Equatable {
        let marker: String?
        let nsecs: Int64?
        let histograms: [Histogram]
    }

    let intervals: [Interval]
    let truncated: Bool
}

@Suite("hist() and lhist() prints of real bpftrace output as JSON by interval")
struct HistogramJSONTests {
    func answer(_ name: String) throws -> HistogramAnswer {
        let series = try PictureFixtures.scan(name).histograms
        return try JSONDecoder().decode(HistogramAnswer.self, from: Data(HistogramJSON.text(of: series).utf8))
    }

    @Test("block-io: keyed hist per interval with bounds and counts, keyless hist and lhist with key null")
    func blockIO() throws {
        let answer = try answer("block-io.ndjson")
        #expect(!answer.truncated && answer.intervals.count == 1)
        let interval = try #require(answer.intervals.first)
        #expect(interval.marker == "interval" && interval.nsecs == 42_977_491_064_819)
        // Two prints: the interval's, and the one bpftrace makes of every map at exit.
        #expect(interval.histograms.count == 12)
        #expect(interval.histograms.first == .init(map: "@block_io_us", key: "254,0,RM", buckets: [.init(min: 128, max: 255, count: 1)]))
        #expect(interval.histograms.contains(.init(map: "@l", key: nil, buckets: [.init(min: 2, max: 3, count: 1919)])))
        let writes = try #require(interval.histograms.first { $0.key == "254,0,WS" })
        #expect(writes.buckets.map(\.count) == [476, 569, 361, 46, 0, 31] && writes.buckets.last?.min == 512)
    }

    @Test("function-latency per process: intervals without calls stay, keys are PID,COMM")
    func functionLatency() throws {
        let answer = try answer("function-latency.ndjson")
        #expect(answer.intervals.map(\.marker) == ["interval", "interval", "interval", "end"])
        #expect(answer.intervals[0].histograms.isEmpty)
        let first = try #require(answer.intervals[1].histograms.first)
        #expect(first.map == "@latency_ns" && first.key == "13745,bash")
        #expect(first.buckets.first == .init(min: 512, max: 1023, count: 67))
    }

    @Test("Open-ended buckets keep a null bound; past the bound of buckets the answer says truncated")
    func boundsAndTruncation() throws {
        let line = #"{"type": "hist", "data": {"@x": [{"max": -1, "count": 2}, {"min": 0, "max": 0, "count": 1}, {"min": 10, "count": 5}]}}"#
        let series = PictureFixtures.scan(bytes: Array(line.utf8)).histograms
        #expect(
            HistogramJSON.text(of: series)
                == #"{"intervals": [{"marker": null, "nsecs": null, "histograms": [{"map": "@x", "key": null, "buckets": [{"min": null, "max": -1, "count": 2}, {"min": 0, "max": 0, "count": 1}, {"min": 10, "max": null, "count": 5}]}]}], "truncated": false}"#
        )
        var limits = RunStreamScanner.Limits()
        limits.maxHistogramBuckets = 10
        #expect(try PictureFixtures.scan("block-io.ndjson", limits: limits).histograms.truncated)
        #expect(try PictureFixtures.scan("cpu-profile.ndjson").histograms.isEmpty)
    }
}
