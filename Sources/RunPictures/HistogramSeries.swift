/// Every `hist()`/`lhist()` print of a run, grouped by the interval that printed it.
///
/// bpftrace 0.17 prints `{"type": "hist", "data": {"@map": [buckets]}}` for a map without
/// keys and `{"@map": {"KEY": [buckets], ...}}` with keys; a bucket is `{"min": lo, "max":
/// hi, "count": n}`, where an open-ended bucket lacks one bound. Bounds and counts are
/// kept as bpftrace wrote them.
public struct HistogramSeries: Sendable {
    public struct Bucket: Sendable, Equatable {
        public var min: String?
        public var max: String?
        public var count: String
    }

    public struct Histogram: Sendable, Equatable {
        public var map: String
        public var key: String?
        public var buckets: [Bucket]
    }

    public struct Interval: Sendable, Equatable {
        /// `interval` or `end` (the line that opened it), nil before the first such line.
        public var marker: String?
        public var nsecs: Int64?
        public var histograms: [Histogram] = []
    }

    public let maxBuckets: Int
    public private(set) var intervals: [Interval] = []
    public private(set) var bucketCount = 0
    /// A bound was reached: later histograms (and intervals) were left out.
    public private(set) var truncated = false

    init(maxBuckets: Int) { self.maxBuckets = maxBuckets }

    public var isEmpty: Bool { bucketCount == 0 && !intervals.contains { !$0.histograms.isEmpty } }

    mutating func open(marker: String, nsecs: Int64?) {
        guard !truncated else { return }
        guard intervals.count < maxBuckets else {
            truncated = true
            return
        }
        intervals.append(Interval(marker: marker, nsecs: nsecs))
    }

    /// Adds the maps of one `hist` line (its `data`); a malformed one is skipped whole.
    mutating func add(data: OrderedJSON) {
        guard !truncated, case .object(let maps) = data else { return }
        var read: [Histogram] = []
        for (map, value) in maps {
            switch value {
            case .array(let buckets):
                guard let parsed = Self.buckets(buckets) else { return }
                read.append(Histogram(map: map, key: nil, buckets: parsed))
            case .object(let keyed):
                for (key, buckets) in keyed {
                    guard case .array(let items) = buckets, let parsed = Self.buckets(items) else { return }
                    read.append(Histogram(map: map, key: key, buckets: parsed))
                }
            default: return
            }
        }
        let added = read.reduce(0) { $0 + max(1, $1.buckets.count) }
        guard bucketCount + added <= maxBuckets else {
            truncated = true
            return
        }
        bucketCount += added
        if intervals.isEmpty { intervals.append(Interval(marker: nil, nsecs: nil)) }
        intervals[intervals.count - 1].histograms += read
    }

    static func buckets(_ items: [OrderedJSON]) -> [Bucket]? {
        var buckets: [Bucket] = []
        for item in items {
            guard case .number(let count)? = item["count"] else { return nil }
            func bound(_ name: String) -> String? {
                if case .number(let text)? = item[name] { text } else { nil }
            }
            buckets.append(Bucket(min: bound("min"), max: bound("max"), count: count))
        }
        return buckets
    }
}
