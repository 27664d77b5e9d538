/// Standard base64 (RFC 4648, `+/`, `=` padding, no line breaks) between buffers the
/// caller provides: the endpoint encodes a chunk straight into its request body, the
/// receiver decodes straight out of it.
///
/// Encoding makes two characters per table lookup (a 4096-entry table of character
/// pairs), on raw pointers: it is the floor of the delivery's CPU cost.
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

    public static func maxDecodedLength(of count: Int) -> Int { count / 4 * 3 }

    /// Value of each character, 0xFF for a character outside the alphabet.
    static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { values[Int(character)] = UInt8(index) }
        return values
    }()

    /// The 12 bits of every pair of characters, indexed by the pair read as a
    /// little-endian UInt16; 0xFFFF when either is outside the alphabet. Halves the
    /// lookups of decoding, as `pairs` does for encoding.
    static let pairValues: [UInt16] = (0..<65536).map { pair in
        let first = values[pair & 0xFF]
        let second = values[pair >> 8]
        return (first | second) & 0x80 != 0 ? 0xFFFF : UInt16(first) << 6 | UInt16(second)
    }

    /// Decodes padded base64 into `destination` (at least `maxDecodedLength(of:)` bytes);
    /// returns the number of bytes written, or nil when `source` is not base64 (length not
    /// a multiple of 4, a character outside the alphabet, misplaced `=`).
    public static func decode(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard source.count % 4 == 0 else { return nil }
        guard source.count > 0 else { return 0 }
        precondition(destination.count >= maxDecodedLength(of: source.count), "base64 destination too small")
        let input = source.baseAddress!
        let output = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let last = input.load(fromByteOffset: source.count - 1, as: UInt8.self)
        let beforeLast = input.load(fromByteOffset: source.count - 2, as: UInt8.self)
        let padding = last == UInt8(ascii: "=") ? (beforeLast == UInt8(ascii: "=") ? 2 : 1) : 0
        let whole = padding > 0 ? source.count - 4 : source.count
        let decodedWhole = pairValues.withUnsafeBufferPointer { pairs -> Int? in
            var i = 0
            var o = 0
            var invalid: UInt16 = 0
            while i < whole {
                let four = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                let high = pairs[Int(four & 0xFFFF)]
                let low = pairs[Int(four >> 16)]
                // An invalid pair sets the top bits: one test at the end, not one per group.
                invalid |= high | low
                let group = UInt32(high) << 12 | UInt32(low)
                output[o] = UInt8(truncatingIfNeeded: group >> 16)
                output[o + 1] = UInt8(truncatingIfNeeded: group >> 8)
                output[o + 2] = UInt8(truncatingIfNeeded: group)
                i += 4
                o += 3
            }
            return invalid & 0xF000 == 0 ? o : nil
        }
        guard let o = decodedWhole else { return nil }
        guard padding > 0 else { return o }
        let bytes = UnsafeRawBufferPointer(rebasing: source[whole...])
        let a = values[Int(bytes[0])]
        let b = values[Int(bytes[1])]
        let c = padding == 2 ? 0 : values[Int(bytes[2])]
        guard (a | b | c) & 0x80 == 0 else { return nil }
        let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
        output[o] = UInt8(truncatingIfNeeded: group >> 16)
        if padding == 1 { output[o + 1] = UInt8(truncatingIfNeeded: group >> 8) }
        return o + 3 - padding
    }
}
