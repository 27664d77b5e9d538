import EndpointConfig

extension Doctor {
    /// Whether a captured `Authorization` header can drive this endpoint: it can when
    /// unsigned requests are taken (`require-signed-requests: false`) on an address others
    /// reach, over plain HTTP, where a proxy's log or a sniffer sees the header
    /// (docs/security.md, "Signatures"). A pull-only endpoint's port serves `/heartbeat`
    /// alone, so nothing is at stake there.
    public static func signatures(server: ServerSettings, lambda: LambdaSettings) -> DoctorCheck {
        if lambda.requireSignedRequests {
            return .ok("signatures", "every request must carry a Lambda-Signature (require-signed-requests)")
        }
        if lambda.control == .pull {
            return .ok("signatures", "control: pull: the port serves /heartbeat alone")
        }
        if server.tls != nil {
            return .ok("signatures", "unsigned requests are taken, over TLS only")
        }
        if ["127.0.0.1", "::1", "localhost"].contains(server.host) {
            return .ok("signatures", "unsigned requests are taken on the loopback address \(server.host) only")
        }
        return .warning(
            "signatures",
            "unsigned requests are taken over plain HTTP on \(server.host): a captured Authorization header can be replayed",
            fix: "set require-signed-requests: true (the platform must sign its calls), or serve TLS (tls-certificate, tls-key)"
        )
    }
}
