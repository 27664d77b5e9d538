import Crypto
import Foundation

/// `Lambda-Signature: t=<unix seconds>, n=<nonce>, s=<hex HMAC-SHA256>` (docs/security.md,
/// "Signatures"): binds one message to its content and its moment, where the seed's
/// `Authorization` value is static and replays forever.
///
/// The HMAC is keyed by the secret's UTF-8 bytes over
/// `KIND \n uuid \n METHOD \n PATH_AND_QUERY \n t \n n \n hex SHA-256 of the body`.
public struct LambdaSignature: Equatable, Sendable {
    public static let headerName = "Lambda-Signature"

    /// `request` for a request in either direction; `answer` for a poll answer (signed
    /// over the method, path and query of the poll it answers, with that poll's nonce).
    public enum Kind: String, Sendable {
        case request
        case answer
    }

    public var time: Int64
    public var nonce: String
    /// Lowercase hex of the HMAC.
    public var mac: String

    public init(time: Int64, nonce: String, mac: String) {
        self.time = time
        self.nonce = nonce
        self.mac = mac
    }

    /// 16 to 64 of `[A-Za-z0-9]`.
    public static func isValidNonce(_ nonce: some StringProtocol) -> Bool {
        (16...64).contains(nonce.utf8.count)
            && nonce.utf8.allSatisfy { byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
            }
    }

    /// A fresh nonce: 32 characters of `[A-Za-z0-9]` from 32 random bytes, four draws of the
    /// system generator (`getrandom`). One draw per character, as first written, was 32
    /// system calls per message: `per_chunk_overhead_us` went from 35 to 72 us.
    public static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        var characters: [UInt8] = []
        characters.reserveCapacity(32)
        for _ in 0..<4 {
            var word = generator.next()
            for _ in 0..<8 {
                // 256 is not a multiple of 62: the first 8 characters are a little likelier.
                // A nonce must not repeat, and 32 such characters keep about 190 bits.
                characters.append(nonceAlphabet[Int(word & 0xff) % nonceAlphabet.count])
                word >>= 8
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    static let nonceAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// Parses a header value; nil when any part is missing, repeated or malformed. The
    /// value is short by construction: a longer one is refused before anything else.
    public init?(parsing value: String) {
        guard value.utf8.count <= 256 else { return nil }
        var time: Int64?
        var nonce: String?
        var mac: String?
        for part in value.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            let key = trimmed[..<equals]
            let text = String(trimmed[trimmed.index(after: equals)...])
            switch key {
            case "t":
                guard time == nil, !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
                time = Int64(text)
            case "n":
                guard nonce == nil, Self.isValidNonce(text) else { return nil }
                nonce = text
            case "s":
                guard mac == nil, text.utf8.count == 64, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    return nil
                }
                mac = text
            default:
                return nil
            }
        }
        guard let time, let nonce, let mac else { return nil }
        self.init(time: time, nonce: nonce, mac: mac)
    }

    public var headerValue: String { "t=\(time), n=\(nonce), s=\(mac)" }

    /// Lowercase hex of SHA-256 over `body`.
    public static func bodyDigest(_ body: some ContiguousBytes) -> String {
        hex(body.withUnsafeBytes { SHA256.hash(data: $0) })
    }

    /// The MAC of one message, as lowercase hex.
    public static func mac(
        key: SymmetricKey,
        kind: Kind,
        uuid: String,
        method: String,
        pathAndQuery: String,
        time: Int64,
        nonce: String,
        bodyDigest: String
    ) -> String {
        let message = "\(kind.rawValue)\n\(uuid)\n\(method)\n\(pathAndQuery)\n\(time)\n\(nonce)\n\(bodyDigest)"
        return hex(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
