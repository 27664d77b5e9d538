/// Standard base64 (RFC 4648, `+/`, `=` padding, no line breaks) into a buffer the
/// caller provides, so a chunk is encoded straight into its request body.
///
/// Two output characters per table lookup (a 4096-entry table of character pairs), on
/// raw pointers: the encoding of every chunk is the floor of the delivery's CPU cost.
public enum Base64 {
    public static func encodedLength(of count: Int) -> Int { (count + 2) / 3 * 4 }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Entry `v` (12 bits) holds the characters of `v >> 6` and `v & 63`, first in the
    /// low byte: stored little-endian it writes them in order.
    static let pairs: [UInt16] = (0..<4096).map { v in
        UInt16(alphabet[v >> 6]) | UInt16(alphabet[v & 63]) << 8
    }

    /// Encodes `source` into `destination`, which must hold `encodedLength(of:)` bytes;
    /// returns the number of bytes written.
    @discardableResult
    public static func encode(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let length = encodedLength(of: source.count)
        precondition(destination.count >= length, "base64 destination too small")
        guard source.count > 0 else { return 0 }
        let input = source.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let output = destination.baseAddress!
        let whole = source.count / 3 * 3
        pairs.withUnsafeBufferPointer { pairs in
            var i = 0
            var o = 0
            while i < whole {
                let triple = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                output.storeBytes(of: pairs[Int(triple >> 12)].littleEndian, toByteOffset: o, as: UInt16.self)
                output.storeBytes(of: pairs[Int(triple & 0xFFF)].littleEndian, toByteOffset: o + 2, as: UInt16.self)
                i += 3
                o += 4
            }
            let rest = source.count - whole
            if rest > 0 {
                let b0 = UInt32(input[whole])
                let b1 = rest == 2 ? UInt32(input[whole + 1]) : 0
                let triple = b0 << 16 | b1 << 8
                output.storeBytes(of: alphabet[Int(triple >> 18)], toByteOffset: o, as: UInt8.self)
                output.storeBytes(of: alphabet[Int(triple >> 12 & 63)], toByteOffset: o + 1, as: UInt8.self)
                output.storeBytes(of: rest == 2 ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="), toByteOffset: o + 2, as: UInt8.self)
                output.storeBytes(of: UInt8(ascii: "="), toByteOffset: o + 3, as: UInt8.self)
            }
        }
        return length
    }
}
