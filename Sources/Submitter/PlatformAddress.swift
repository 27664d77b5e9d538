import Foundation

/// Where the platform is, taken apart once from `platform-url` the way AsyncHTTPClient
/// did, so that the request line and `Host` stay byte for byte the same. Every request
/// goes to a route below the URL's path: `/submit`, `/endpoints/<uuid>`, `/tasks`, ...
struct PlatformAddress: Hashable, Sendable {
    let usesTLS: Bool
    /// To connect to, and to verify the certificate against: brackets trimmed from IPv6.
    let host: String
    let port: Int
    /// The URL's percent-encoded path, e.g. `/prefix`; empty for none (platform-url has no
    /// trailing `/`, no query and no fragment: the settings check so).
    let basePath: String
    /// `host`, bracketed when IPv6, with `:port` only when it is not the scheme's default.
    let hostHeader: String

    init(platformURL: String) throws(PlatformClientError) {
        guard let components = URLComponents(string: platformURL),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let rawHost = components.host, !rawHost.isEmpty
        else { throw .invalidURL }
        usesTLS = scheme == "https"
        let defaultPort = usesTLS ? 443 : 80
        let trimmed = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        host = trimmed
        port = components.port ?? defaultPort
        basePath = components.percentEncodedPath
        let isIPv6 = trimmed.contains(":")
        let serialized = isIPv6 ? "[\(trimmed)]" : trimmed
        hostHeader = port == defaultPort ? serialized : "\(serialized):\(port)"
    }

    /// The request target of `route` (which starts with `/`; a query already
    /// percent-encoded): what the request line carries and a signature covers.
    func requestTarget(_ route: String) -> String { basePath + route }

    /// `/submit`'s request target.
    var submitTarget: String { requestTarget("/submit") }

    /// SNI must not carry an IP address (NIOSSL refuses one); without a name NIOSSL checks
    /// the certificate against the peer's IP address instead.
    var serverNameIndication: String? {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        let isIPAddress = inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1
        return isIPAddress ? nil : host
    }
}
