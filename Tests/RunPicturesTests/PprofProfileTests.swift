import EndpointTestSupport
import Foundation
import RunPictures
import Testing

@Suite("pprof profiles read back by go tool pprof (Debian's golang-go)")
struct PprofProfileTests {
    /// The profile of a fixture written to a file for `go tool pprof`.
    func write(_ profile: StackProfile, binary: TracedBinary?) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).pb.gz").path
        try Data(try Gzip.compress(PprofProfile.bytes(of: profile, binary: binary))).write(to: URL(fileURLWithPath: path))
        return path
    }

    func pprof(_ arguments: [String]) throws -> String {
        let (status, output) = try runCommand("/usr/bin/go", ["tool", "pprof"] + arguments)
        #expect(status == 0, "\(output)")
        return output
    }

    /// The sum of the samples `go tool pprof -raw` lists (one `value: locations` line each).
    func rawTotal(_ raw: String) -> Int64 {
        let samples = raw.components(separatedBy: "Samples:\n").last?.components(separatedBy: "Locations").first ?? ""
        return samples.split(separator: "\n").compactMap { line -> Int64? in
            let parts = line.split(separator: ":")
            return parts.count == 2 ? Int64(parts[0].trimmingCharacters(in: .whitespaces)) : nil
        }.reduce(0, +)
    }

    @Test("cpu-profile: -top reads it, its total is the folded counts' sum, the type is samples/count, the binary its mapping")
    func cpuProfile() throws {
        // The endpoint writes the binary line after `ready` (docs/api.md "Programs"); here
        // it is put into the fixture by hand, with /bin/bash's build-id and SHA-256.
        var lines = String(decoding: try PictureFixtures.bytes("cpu-profile.ndjson"), as: UTF8.self).split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        lines.insert(#"{"type": "value", "data": ["binary", "/usr/bin/bash", "\#(Self.bashBuildID)", "\#(Self.bashSHA)"]}"#, at: 2)
        let scanner = PictureFixtures.scan(bytes: Array(lines.joined(separator: "\n").utf8))
        #expect(scanner.binary == TracedBinary(path: "/usr/bin/bash", buildID: Self.bashBuildID, sha256: Self.bashSHA))
        let profile = try #require(scanner.stackMaps.first)
        let path = try write(profile, binary: scanner.binary)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let top = try pprof(["-top", path])
        #expect(top.contains("Type: samples"))
        #expect(top.contains("Showing nodes accounting for 27, 100% of 27 total"), "\(top)")
        #expect(top.contains(" execute_command_internal\n"))
        #expect(PictureFixtures.sum(ofFolded: FoldedStacks.text(of: profile)) == 27)
        let raw = try pprof(["-raw", path])
        #expect(raw.contains("samples/count") && rawTotal(raw) == 27)
        #expect(raw.contains("/usr/bin/bash \(Self.bashBuildID)"), "\(raw)")
    }

    @Test("off-cpu: the type is off-cpu/nanoseconds, each value the map's microseconds times 1000")
    func offCPU() throws {
        let profile = try #require(try PictureFixtures.scan("off-cpu.ndjson").stackMaps.first)
        let path = try write(profile, binary: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let raw = try pprof(["-raw", path])
        #expect(raw.contains("off-cpu/nanoseconds"))
        #expect(rawTotal(raw) == PictureFixtures.sum(ofFolded: FoldedStacks.text(of: profile)) * 1000)
        #expect(try pprof(["-top", path]).contains("Type: off-cpu"))
    }

    static let bashBuildID = "135afc8c6d1b9e02356cce218bf0109c3687ad9f"
    static let bashSHA = "25c34e130c601c5610c131710ce7fca96248d6e56bf99e39a3c74072a98db158"
}
