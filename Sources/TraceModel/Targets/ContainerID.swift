/// What a container id looks like: the 64 lowercase hexadecimal digits Docker,
/// containerd, CRI-O and Podman all use (a sha256), shortened to a unique prefix of at
/// least 12 digits when a person names one (as `docker ps` shows 12).
public enum ContainerID {
    public static let length = 64
    public static let minimumPrefixLength = 12

    /// A full id: exactly 64 of `0-9a-f`. Uppercase is refused: no runtime writes it, so
    /// a path holding it is not one of theirs.
    public static func isFull(_ text: some StringProtocol) -> Bool {
        text.utf8.count == length && isLowercaseHex(text)
    }

    /// A prefix a lookup accepts: 12 to 64 of `0-9a-f`.
    public static func isPrefix(_ text: some StringProtocol) -> Bool {
        (minimumPrefixLength...length).contains(text.utf8.count) && isLowercaseHex(text)
    }

    static func isLowercaseHex(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy(isLowercaseHexDigit)
    }

    static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
