import Foundation

/// Reads a run's NDJSON stream piece by piece (never whole: a run can be gigabytes) and
/// keeps what the pictures need: each stack map summed over all its prints, every
/// histogram print by interval, the traced binary.
///
/// **All intervals summed, not the last map.** The catalogue's programs print a map and
/// clear it every interval (and once more at the end), so each print holds only the
/// samples since the one before: the whole run is their sum. A map printed twice
/// without a clear in between would be counted twice.
public struct RunStreamScanner: Sendable {
    public struct Limits: Sendable {
        /// Longer lines are skipped (counted in `skippedLines`): a cpu-profile print of
        /// 10,000 stacks of 30 frames is about 12 MB.
        public var maxLineBytes = 64 << 20
        /// Distinct stacks kept per map; samples of further stacks go to `[other stacks]`.
        public var maxStacks = 100_000
        /// Distinct frame names kept per map (the same fallback past it).
        public var maxFrames = 200_000
        /// Stack maps kept: programs print one or two.
        public var maxStackMaps = 16
        /// Histogram buckets kept over the run (and intervals).
        public var maxHistogramBuckets = 1_000_000

        public init() {}
    }

    public let limits: Limits
    /// The stack maps in the order the stream first printed them.
    public private(set) var stackMaps: [StackProfile] = []
    public private(set) var histograms: HistogramSeries
    public private(set) var binary: TracedBinary?
    /// Lines longer than `maxLineBytes`, and lines of interest that did not parse.
    public private(set) var skippedLines = 0

    private var line: [UInt8] = []
    private var skippingLongLine = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
        histograms = HistogramSeries(maxBuckets: limits.maxHistogramBuckets)
    }

    /// The next bytes of the stream, cut anywhere.
    public mutating func consume(_ bytes: Data) {
        bytes.withUnsafeBytes { consume($0) }
    }

    public mutating func consume(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { consume($0) }
    }

    /// Lines found by memchr and copied whole: byte by byte through a generic collection
    /// this read 35 MB/s of event lines (release build), this way the scan is the parse.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
            let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            if !skippingLongLine {
                if line.count + (end - start) <= limits.maxLineBytes {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                } else {
                    skippedLines += 1
                    skippingLongLine = true
                    line.removeAll()
                }
            }
            guard found != nil else { return }
            if skippingLongLine {
                skippingLongLine = false
            } else {
                read(line)
            }
            line.removeAll(keepingCapacity: line.capacity <= 1 << 20)
            start = end + 1
        }
    }

    /// The end of the stream: a last line without its newline counts too.
    public mutating func finish() {
        if !skippingLongLine && !line.isEmpty { read(line) }
        line.removeAll()
        skippingLongLine = false
    }

    static let mapPrefix = Array(#"{"type": "map""#.utf8)
    static let histPrefix = Array(#"{"type": "hist""#.utf8)
    static let valuePrefix = Array(#"{"type": "value", "data": [""#.utf8)
    static let markers = ["binary", "interval", "end"].map { Array($0.utf8) + [UInt8(ascii: "\"")] }

    private mutating func read(_ line: [UInt8]) {
        if line.starts(with: Self.valuePrefix) {
            // Events (`entry`, `return`) are most lines of a uprobe run: not parsed.
            let rest = line[Self.valuePrefix.count...]
            guard Self.markers.contains(where: { rest.starts(with: $0) }) else { return }
        } else if !line.starts(with: Self.mapPrefix) && !line.starts(with: Self.histPrefix) {
            return
        }
        if line.starts(with: Self.mapPrefix) {
            // Entries added as they are read: a large print is never parsed into a tree. A
            // line that breaks off (a tracer killed mid-write) keeps the entries before it.
            var waiting: [(map: String, frames: [String], count: Int64)] = []
            do {
                try OrderedJSONParser.forEachMapEntry(line) { add(map: $0, key: $1, value: $2, waiting: &waiting) }
            } catch {
                skippedLines += 1
            }
            return
        }
        guard let json = try? OrderedJSONParser.parse(line), let type = json["type"]?.text, let data = json["data"] else {
            skippedLines += 1
            return
        }
        if type == "hist" { histograms.add(data: data) } else { readValue(data) }
    }

    private mutating func readValue(_ data: OrderedJSON) {
        guard case .array(let items) = data, let name = items.first?.text else { return }
        switch name {
        case "binary":
            guard items.count >= 2, let path = items[1].text else { return }
            binary = TracedBinary(path: path, buildID: items.count > 2 ? items[2].text : nil, sha256: items.count > 3 ? items[3].text : nil)
        default:
            histograms.open(marker: name, nsecs: items.count > 1 ? items[1].integer : nil)
        }
    }

    /// One entry of a map line. A map becomes a stack map at its first key holding a
    /// stack (the catalogue's at once); the stackless keys printed before that in the same
    /// line wait for it (an empty stack is an empty string), and a map none of whose keys
    /// in the line held a stack is not one.
    private mutating func add(map: String, key: String, value: OrderedJSON, waiting: inout [(map: String, frames: [String], count: Int64)]) {
        guard let count = value.integer else { return }
        let layout = StackKey.Layout.of(map: map)
        let frames = StackKey.frames(of: key, layout: layout)
        if let index = stackMaps.firstIndex(where: { $0.map == map }) {
            stackMaps[index].add(frames: frames, count: count)
            return
        }
        guard layout != .generic || key.utf8.contains(UInt8(ascii: "\n")) else {
            if waiting.count < limits.maxStacks { waiting.append((map, frames, count)) }
            return
        }
        guard stackMaps.count < limits.maxStackMaps else { return }
        var profile = StackProfile(map: map, maxStacks: limits.maxStacks, maxFrames: limits.maxFrames)
        for entry in waiting where entry.map == map { profile.add(frames: entry.frames, count: entry.count) }
        waiting.removeAll { $0.map == map }
        profile.add(frames: frames, count: count)
        stackMaps.append(profile)
    }
}
