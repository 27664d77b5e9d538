/// Reads one JSON text into an `OrderedJSON` (RFC 8259; nesting bounded so a hostile line
/// cannot exhaust the stack). Lines of a run's stream are parsed one at a time.
public struct OrderedJSONParser {
    public struct Failure: Error, Equatable {
        public let offset: Int
    }

    /// Deeper than any line bpftrace prints (a keyed histogram is four levels).
    static let maxDepth = 64

    let bytes: [UInt8]
    var index = 0

    public static func parse(_ bytes: [UInt8]) throws -> OrderedJSON {
        var parser = OrderedJSONParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw Failure(offset: parser.index) }
        return value
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    func failure() -> Failure { Failure(offset: index) }

    mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard current == byte else { throw failure() }
            index += 1
        }
    }

    mutating func value(depth: Int) throws -> OrderedJSON {
        guard depth < Self.maxDepth else { throw failure() }
        skipSpace()
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): return .number(try number())
        default: throw failure()
        }
    }

    private mutating func object(depth: Int) throws -> OrderedJSON {
        index += 1
        var members: [(key: String, value: OrderedJSON)] = []
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw failure() }
            let key = try string()
            skipSpace()
            try expect(":")
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else {
                try expect("}")
                return .object(members)
            }
        }
    }

    private mutating func array(depth: Int) throws -> OrderedJSON {
        index += 1
        var items: [OrderedJSON] = []
        skipSpace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else {
                try expect("]")
                return .array(items)
            }
        }
    }

    private mutating func number() throws -> String {
        let start = index
        let allowed: Set<UInt8> = Set("+-.eE0123456789".utf8)
        while let byte = current, allowed.contains(byte) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard Double(text) != nil else { throw Failure(offset: start) }
        return text
    }

    mutating func string() throws -> String {
        index += 1
        // Most strings have no escape: made straight from their bytes.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            defer { index = end + 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        var out: [UInt8] = []
        while true {
            guard let byte = current else { throw failure() }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = current else { throw failure() }
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"): try unicodeEscape(into: &out)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                default: throw failure()
                }
            case 0..<0x20: throw failure()
            default: out.append(byte)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw failure()
        }
        index += 4
        return value
    }

    private mutating func unicodeEscape(into out: inout [UInt8]) throws {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar), current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure() }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        out.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
    }
}
