import Foundation

/// A `map` or `hist` line of bpftrace's JSON output: `{"type": "map"|"hist", "data":
/// {"@name": value}}`, one print of one map. Decoded apart from `StreamLine` (which reads
/// only the tuples) because a template's maps may hold what these do not decode (bash's
/// return values reach 2^64-1); the analyses' maps all do.
struct MapPrint: Decodable {
    let data: [String: MapValue]

    /// The print of `line` when it is a map or hist line; nil for the other types.
    static func decode(_ line: some DataProtocol) throws -> MapPrint? {
        let data = Data(line)
        guard ["map", "hist"].contains(try JSONDecoder().decode(StreamLine.self, from: data).type) else { return nil }
        return try JSONDecoder().decode(MapPrint.self, from: data)
    }
}

/// A printed map's value: a count or sum, a string, a histogram, or (keyed maps) each
/// key's value; keys are bpftrace's, a tuple key joined by commas (README "Programs").
enum MapValue: Decodable, Equatable {
    case number(Int64)
    case text(String)
    case histogram([HistogramBucket])
    case keyed([String: MapValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let buckets = try? container.decode([HistogramBucket].self) {
            self = .histogram(buckets)
        } else {
            self = .keyed(try container.decode([String: MapValue].self))
        }
    }

    var number: Int64? { if case .number(let number) = self { number } else { nil } }
    var histogram: [HistogramBucket]? { if case .histogram(let buckets) = self { buckets } else { nil } }
    var keyed: [String: MapValue]? { if case .keyed(let entries) = self { entries } else { nil } }
}

/// One bucket of a `hist()`: the values from `min` to `max` seen `count` times (bpftrace
/// leaves out the bound an open-ended bucket has not).
struct HistogramBucket: Decodable, Equatable {
    let min: Int64?
    let max: Int64?
    let count: Int64
}
