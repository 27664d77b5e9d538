import Foundation
import RunPictures
import Testing

@Suite("hist() and lhist() prints of real bpftrace output as JSON by interval")
struct HistogramJSONTests {
    func json(_ name: String) throws -> [String: Any] {
        let series = try PictureFixtures.scan(name).histograms
        return try #require(try JSONSerialization.jsonObject(with: Data(HistogramJSON.text(of: series).utf8)) as? [String: Any])
    }

    @Test("block-io: keyed hist per interval with bounds and counts, keyless hist and lhist with key null")
    func blockIO() throws {
        let object = try json("block-io.ndjson")
        #expect(object["truncated"] as? Bool == false)
        let intervals = try #require(object["intervals"] as? [[String: Any]])
        #expect(intervals.count == 1)
        #expect(intervals[0]["marker"] as? String == "interval" && intervals[0]["nsecs"] as? Int == 42_977_491_064_819)
        let histograms = try #require(intervals[0]["histograms"] as? [[String: Any]])
        // Two prints: the interval's, and the one bpftrace makes of every map at exit.
        #expect(histograms.count == 12)
        let first = histograms[0]
        #expect(first["map"] as? String == "@block_io_us" && first["key"] as? String == "254,0,RM")
        #expect(first["buckets"] as? [[String: Int]] == [["min": 128, "max": 255, "count": 1]])
        let linear = try #require(histograms.first { $0["map"] as? String == "@l" })
        #expect(linear["key"] is NSNull && linear["buckets"] as? [[String: Int]] == [["min": 2, "max": 3, "count": 1919]])
        let writes = try #require(histograms.first { $0["key"] as? String == "254,0,WS" })
        #expect((writes["buckets"] as? [[String: Int]])?.map { $0["count"]! } == [476, 569, 361, 46, 0, 31])
    }

    @Test("function-latency per process: intervals without calls stay, keys are PID,COMM")
    func functionLatency() throws {
        let object = try json("function-latency.ndjson")
        let intervals = try #require(object["intervals"] as? [[String: Any]])
        #expect(intervals.map { $0["marker"] as? String } == ["interval", "interval", "interval", "end"])
        #expect((intervals[0]["histograms"] as? [Any])?.isEmpty == true)
        let second = try #require(intervals[1]["histograms"] as? [[String: Any]])
        #expect(second.first?["map"] as? String == "@latency_ns" && second.first?["key"] as? String == "13745,bash")
        #expect((second.first?["buckets"] as? [[String: Int]])?.first == ["min": 512, "max": 1023, "count": 67])
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
