extension OrderedJSONParser {
    /// The entries of a `{"type": "map", "data": {"@name": {"KEY": value, ...}, ...}}` line
    /// handed to `visit` one at a time as they are read, so a print of 100,000 stacks is
    /// never a tree in memory (only the line itself is). A map whose value is not an
    /// object (a scalar `@count`) is read and passed over.
    static func forEachMapEntry(_ bytes: [UInt8], _ visit: (_ map: String, _ key: String, _ value: OrderedJSON) -> Void) throws {
        var parser = OrderedJSONParser(bytes: bytes)
        try parser.members { parser, member in
            guard member == "data" else {
                _ = try parser.value(depth: 1)
                return
            }
            try parser.members { parser, map in
                guard parser.current == UInt8(ascii: "{") else {
                    _ = try parser.value(depth: 2)
                    return
                }
                try parser.members { parser, key in visit(map, key, try parser.value(depth: 3)) }
            }
        }
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.failure() }
    }

    /// Reads an object: for each member its name, then `body` reads its value (the parser
    /// standing on the value's first byte).
    mutating func members(_ body: (inout OrderedJSONParser, String) throws -> Void) throws {
        skipSpace()
        try expect("{")
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw failure() }
            let name = try string()
            skipSpace()
            try expect(":")
            skipSpace()
            try body(&self, name)
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else {
                try expect("}")
                return
            }
        }
    }
}
