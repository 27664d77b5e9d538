import EndpointTestSupport
import Foundation
import RunPictures
import Testing

@Suite("Flame graph SVGs: XML, a title per frame, nothing from elsewhere")
struct FlameGraphSVGTests {
    /// python3's xml.etree parses the file and prints the frames' groups, their titles and
    /// whatever names a resource outside the file (an href, a src, an @import, a url()).
    static let reader = """
        import sys, re, xml.etree.ElementTree as ET
        ns = {"s": "http://www.w3.org/2000/svg"}
        root = ET.parse(sys.argv[1]).getroot()
        frames = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class", "").startswith("f")]
        print("frames", len(frames))
        print("titles", sum(len(g.findall("s:title", ns)) for g in frames))
        print("all-titles", len(list(root.iter("{http://www.w3.org/2000/svg}title"))))
        for g in frames[:1]: print("root", g.find("s:title", ns).text)
        text = open(sys.argv[1]).read()
        print("external", len(re.findall(r"href|src=|@import|url\\(", text)))
        print("scripts", len(list(root.iter("{http://www.w3.org/2000/svg}script"))))
        """

    func read(_ svg: String) throws -> [String: String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try svg.write(to: directory.appendingPathComponent("f.svg"), atomically: true, encoding: .utf8)
        try Self.reader.write(to: directory.appendingPathComponent("read.py"), atomically: true, encoding: .utf8)
        let (status, output) = try runCommand(
            "/usr/bin/python3",
            [directory.appendingPathComponent("read.py").path, directory.appendingPathComponent("f.svg").path]
        )
        #expect(status == 0, "\(output)")
        var facts: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { facts[String(parts[0])] = String(parts[1]) }
        }
        return facts
    }

    /// Distinct stack prefixes of a folded text, plus the root: the frames of its graph.
    func frameCount(ofFolded folded: String) -> Int {
        var prefixes = Set<String>()
        for line in folded.split(separator: "\n") {
            let frames = line[..<line.lastIndex(of: " ")!].split(separator: ";")
            for end in 1...frames.count { prefixes.insert(frames[..<end].joined(separator: ";")) }
        }
        return prefixes.count + 1
    }

    @Test("cpu-profile: parses as XML, one <title> per frame with count and share, one inline script, no outside reference")
    func cpuProfile() throws {
        let profile = try #require(try PictureFixtures.scan("cpu-profile.ndjson").stackMaps.first)
        let svg = FlameGraphSVG.svg(of: profile, title: "cpu-profile <run>")
        let facts = try read(svg)
        let frames = frameCount(ofFolded: FoldedStacks.text(of: profile))
        #expect(facts["frames"] == "\(frames)" && facts["titles"] == "\(frames)" && facts["all-titles"] == "\(frames)")
        #expect(facts["root"] == "all (27 samples, 100%)")
        #expect(facts["external"] == "0" && facts["scripts"] == "1")
        #expect(svg.contains("<title>bash (22 samples, 81.48%)</title>"))
        #expect(svg.contains("cpu-profile &lt;run&gt;"))
    }

    @Test("Names with XML's special characters and control bytes still parse; off-cpu's unit is µs")
    func escaping() throws {
        let line = #"{"type": "map", "data": {"@offcpu_us": {"1,2,\n    a<b>&\"c'+1\n,,x\u0001y": 1500}}}"# + "\n"
        let profile = try #require(PictureFixtures.scan(bytes: Array(line.utf8)).stackMaps.first)
        let facts = try read(FlameGraphSVG.svg(of: profile, title: "t"))
        #expect(facts["frames"] == "3" && facts["titles"] == "3")
        #expect(facts["root"] == "all (1500 µs, 100%)")
    }
}
