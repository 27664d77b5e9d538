/// The `Authorization` header value shared by both directions:
/// `<endpoint-uuid><argon2 encoded hash of the secret>`.
public struct AuthorizationHeader: Equatable, Sendable {
    /// A UUID's text form is always 36 characters.
    static let uuidLength = 36
    /// Longer values are refused before any parsing; a real one is about 140 bytes.
    public static let maxLength = 512

    public let uuid: Substring
    public let hash: Argon2EncodedHash

    /// Splits a presented value; nil when it is not `<uuid>$argon2...`.
    public init?(parsing value: String) {
        guard value.utf8.count <= Self.maxLength, value.count > Self.uuidLength else { return nil }
        let split = value.index(value.startIndex, offsetBy: Self.uuidLength)
        guard let hash = Argon2EncodedHash(value[split...]) else { return nil }
        self.uuid = value[..<split]
        self.hash = hash
    }

    /// Makes a fresh header value: argon2i, m=4096 KiB, t=3, p=1, as the original
    /// platform expects. Costs one argon2 run: compute it once per process.
    public static func make(endpointUUID: String, secret: String) throws(Argon2Error) -> String {
        endpointUUID + (try Argon2.hashEncoded(password: secret, salt: Argon2.randomSalt()))
    }
}
