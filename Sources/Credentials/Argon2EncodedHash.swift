/// The parameters of a PHC-encoded argon2 hash, read without computing anything, so
/// that a hash asking for more memory or time than allowed is refused for free.
///
/// Form: `$argon2{d,i,id}[$v=NN]$m=M,t=T,p=P$SALT$HASH`.
public struct Argon2EncodedHash: Equatable, Sendable {
    public let variant: Argon2Variant
    public let version: Int?
    public let memoryKiB: Int
    public let timeCost: Int
    public let parallelism: Int
    /// The whole encoded text, as presented.
    public let encoded: String
    /// The salt and the hash as written (unpadded base64).
    let saltText: Substring
    let hashText: Substring

    public init?(_ encoded: Substring) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.first?.isEmpty == true, let variant = Argon2Variant(rawValue: String(parts.count > 1 ? parts[1] : "")) else {
            return nil
        }
        var rest = parts.dropFirst(2)
        var version: Int? = nil
        if let first = rest.first, first.hasPrefix("v=") {
            guard let number = Self.smallNumber(first.dropFirst(2)) else { return nil }
            version = number
            rest = rest.dropFirst()
        }
        guard rest.count == 3, let parameters = rest.first else { return nil }
        var memory: Int?
        var time: Int?
        var lanes: Int?
        for assignment in parameters.split(separator: ",", omittingEmptySubsequences: false) {
            guard assignment.count > 2, assignment.dropFirst().first == "=" else { return nil }
            let value = Self.smallNumber(assignment.dropFirst(2))
            switch assignment.first {
            case "m" where memory == nil: memory = value
            case "t" where time == nil: time = value
            case "p" where lanes == nil: lanes = value
            default: return nil
            }
        }
        guard let memory, let time, let lanes else { return nil }
        let salt = rest.dropFirst().first!
        let hash = rest.last!
        guard !salt.isEmpty, !hash.isEmpty, Self.isBase64(salt), Self.isBase64(hash) else { return nil }
        self.variant = variant
        self.version = version
        self.memoryKiB = memory
        self.timeCost = time
        self.parallelism = lanes
        self.encoded = String(encoded)
        self.saltText = salt
        self.hashText = hash
    }

    /// What libargon2's own decoder (`decode_string`, run by `argon2_verify`) would take
    /// from the text: the salt and hash bytes, or nil for a text it refuses. Its grammar
    /// is stricter than this parser's, which only reads the parameters for the caps: m, t
    /// and p in that order, decimals without leading zeros and within 32 bits, base64
    /// without padding whose unused bits are zero. Checked by rewriting the text in that
    /// form and comparing, so a header verifies exactly when `argon2_verify` verified it.
    public func decodedForVerification() -> (salt: [UInt8], hash: [UInt8])? {
        let limit = Int(UInt32.max)
        guard memoryKiB <= limit, timeCost <= limit, parallelism <= limit, (version ?? 0) <= limit else { return nil }
        let canonical =
            "$\(variant.rawValue)" + (version.map { "$v=\($0)" } ?? "") + "$m=\(memoryKiB),t=\(timeCost),p=\(parallelism)$\(saltText)$\(hashText)"
        guard canonical == encoded, let salt = Self.decodeUnpaddedBase64(saltText), let hash = Self.decodeUnpaddedBase64(hashText) else {
            return nil
        }
        return (salt, hash)
    }

    /// The PHC form of base64: no `=` padding, and the bits a last partial group leaves
    /// unused must be zero (one text per value).
    static func decodeUnpaddedBase64(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for character in text.utf8 {
            let value: UInt8
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bits <= 4, accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return bytes
    }

    /// Decimal digits only, at most 10 of them, so no overflow and no signs.
    static func smallNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int(text)
    }

    static func isBase64(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
    }

    /// Nil when within the caps; otherwise which parameter is over its cap.
    public func excess(over settings: AuthSettings) -> String? {
        if memoryKiB > settings.maxMemoryKiB { return "m=\(memoryKiB) exceeds this endpoint's limit of \(settings.maxMemoryKiB) KiB" }
        if timeCost > settings.maxTimeCost { return "t=\(timeCost) exceeds this endpoint's limit of \(settings.maxTimeCost)" }
        if parallelism > settings.maxParallelism { return "p=\(parallelism) exceeds this endpoint's limit of \(settings.maxParallelism)" }
        return nil
    }
}
