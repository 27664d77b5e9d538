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
    /// Map names seen that were not stack maps (their keys held no stack).
    public private(set) var otherMaps: Set<String> = []

    private var line: [UInt8] = []
    private var skippingLongLine = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
        histograms = HistogramSeries(maxBuckets: limits.maxHistogramBuckets)
    }

    /// The next bytes of the stream, cut anywhere.
    public mutating func consume(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if skippingLongLine {
                    skippingLongLine = false
                } else {
                    read(line)
                }
                line.removeAll(keepingCapacity: line.capacity <= 1 << 20)
            } else if !skippingLongLine {
                if line.count < limits.maxLineBytes {
                    line.append(byte)
                } else {
                    skippedLines += 1
                    skippingLongLine = true
                    line.removeAll()
                }
            }
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
        guard let json = try? OrderedJSONParser.parse(line), let type = json["type"]?.text, let data = json["data"] else {
            skippedLines += 1
            return
        }
        switch type {
        case "map": addMaps(data)
        case "hist": histograms.add(data: data)
        default: readValue(data)
        }
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

    private mutating func addMaps(_ data: OrderedJSON) {
        guard case .object(let maps) = data else { return }
        for (name, value) in maps {
            guard case .object(let entries) = value else { continue }
            let layout = StackKey.Layout.of(map: name)
            var index = stackMaps.firstIndex { $0.map == name }
            if index == nil {
                let holdsStacks = layout != .generic || entries.contains { $0.key.utf8.contains(UInt8(ascii: "\n")) }
                guard holdsStacks, stackMaps.count < limits.maxStackMaps else {
                    if otherMaps.count < limits.maxStackMaps { otherMaps.insert(name) }
                    continue
                }
                stackMaps.append(StackProfile(map: name, maxStacks: limits.maxStacks, maxFrames: limits.maxFrames))
                otherMaps.remove(name)
                index = stackMaps.count - 1
            }
            guard let index else { continue }
            for (key, count) in entries {
                guard let count = count.integer else { continue }
                stackMaps[index].add(frames: StackKey.frames(of: key, layout: layout), count: count)
            }
        }
    }
}
