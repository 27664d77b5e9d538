import EndpointCore

/// Tells which endpoint sent a request: `FleetAuthenticator` for many endpoints, and
/// the endpoint's own `RequestAuthenticator` for the one endpoint of `--config`.
public protocol EndpointVerifying: Sendable {
    /// The common case synchronously, on the event loop: a value that verified before.
    /// (An `async` hop for every chunk of `/submit` halved the receiver's rate.)
    func rememberedEndpoint(_ headerValue: String?) -> String?
    func verify(_ headerValue: String?) async -> EndpointVerification
}

extension FleetAuthenticator: EndpointVerifying {
    public func rememberedEndpoint(_ headerValue: String?) -> String? {
        guard let headerValue, headerValue.utf8.count <= AuthorizationHeader.maxLength, cache.contains(headerValue) else { return nil }
        return headerValue.verifiedEndpointUUID
    }
}

extension RequestAuthenticator: EndpointVerifying {
    public func rememberedEndpoint(_ headerValue: String?) -> String? {
        guard isRemembered(headerValue), let headerValue else { return nil }
        return headerValue.verifiedEndpointUUID
    }

    public func verify(_ headerValue: String?) async -> EndpointVerification {
        switch await authenticate(headerValue) {
        case .accepted: return .endpoint(uuid: headerValue?.verifiedEndpointUUID ?? "")
        case .rejected(let reason): return .rejected(reason)
        case .busy: return .busy
        }
    }
}

extension String {
    /// The uuid in front of an Authorization value that verified (so it is well formed:
    /// a uuid is always 36 characters), without parsing the hash again for every chunk.
    fileprivate var verifiedEndpointUUID: String { prefix(36).lowercased() }
}
