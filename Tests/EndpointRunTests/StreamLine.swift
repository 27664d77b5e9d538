import Foundation

/// One line of a tracer's NDJSON stream: `{"type": ..., "data": ...}`. `data` is kept
/// as a tuple of values for the `value` lines the tests read (bpftrace's tuples,
/// README "Programs"); other types' data is not read.
struct StreamLine: Decodable {
    let type: String
    let data: [TupleElement]?

    enum CodingKeys: CodingKey { case type, data }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        data = type == "value" ? try container.decode([TupleElement].self, forKey: .data) : nil
    }

    /// The tuple's first element, which names the event (`ready`, `entry`, `count`...).
    var event: String? { data?.first?.text }
}

/// An element of a `value` line's tuple: a string, a whole number, or (in the lines the
/// endpoint inserts, such as `target`) null.
enum TupleElement: Decodable, Equatable {
    case text(String)
    case number(Int64)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    var text: String? { if case .text(let text) = self { text } else { nil } }
    var number: Int64? { if case .number(let number) = self { number } else { nil } }
}

/// Every line decoded; throws at the first line that is not a stream line.
func streamLines(_ data: Data) throws -> [StreamLine] {
    try data.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
        do {
            return try JSONDecoder().decode(StreamLine.self, from: Data(line))
        } catch {
            throw EndpointProcess.UnexpectedAnswer(
                description: "stream line \(index + 1) is not a stream line (\(error)): \(String(decoding: line, as: UTF8.self))"
            )
        }
    }
}
