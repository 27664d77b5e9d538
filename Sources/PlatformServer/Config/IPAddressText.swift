#if canImport(Glibc)
import Glibc
#endif

/// Whether a text is an IPv4 or IPv6 address as `inet_pton` reads it: what a
/// `trusted-proxies` entry and an `X-Forwarded-For` entry must be.
enum IPAddressText {
    static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 64 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}
