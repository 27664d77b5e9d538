import Authentication
import Credentials
import HTTPTypes
import Hummingbird

/// Tells which endpoint sent a request: `FleetAuthenticator` for many endpoints, and
/// the endpoint's own `RequestAuthenticator` for the one endpoint of `--config`.
public protocol EndpointVerifying: Sendable {
    /// The common case synchronously, on the event loop: a value that verified before.
    /// (An `async` hop for every chunk of `/submit` halved the receiver's rate.)
    func rememberedEndpoint(_ headerValue: String?) -> String?
    func verify(_ headerValue: String?) async -> EndpointVerification
    /// `uuid`'s `Lambda-Signature` verifier; nil when its secret is unknown here.
    func signatureVerifier(for uuid: String) -> SignatureVerifier?
}

extension EndpointVerifying {
    /// The endpoint a request's Authorization proves, its `Lambda-Signature` verified too,
    /// or the 401 (503 when busy) to answer. The body (up to `bodyLimit`) stays readable.
    package func requireEndpoint(_ request: inout Request, bodyLimit: Int) async throws -> String {
        let headerValue = request.headers[.authorization]
        let uuid: String
        if let remembered = rememberedEndpoint(headerValue) {
            uuid = remembered
        } else {
            switch await verify(headerValue) {
            case .endpoint(let verified): uuid = verified
            case .rejected(let reason): throw PlatformRefusal(.unauthorized, "bad Authorization: \(reason)")
            case .busy: throw PlatformRefusal(.serviceUnavailable, "too many Authorization verifications waiting; retry")
            }
        }
        try await requireSignature(&request, from: uuid, bodyLimit: bodyLimit)
        return uuid
    }

    /// Refuses (401) a request from `uuid` whose `Lambda-Signature` is missing or does not
    /// verify: the platform requires every endpoint request signed (docs/security.md, "Signatures"). The
    /// body is collected here (up to `bodyLimit`) to check its hash, and stays readable.
    package func requireSignature(_ request: inout Request, from uuid: String, bodyLimit: Int) async throws {
        guard let verifier = signatureVerifier(for: uuid) else { throw PlatformRefusal(.unauthorized, "no secret for endpoint \(uuid)") }
        let body = try await request.collectBody(upTo: bodyLimit)
        let digest = body.withUnsafeReadableBytes { LambdaSignature.bodyDigest($0) }
        let header = request.headers[HTTPField.Name(LambdaSignature.headerName)!]
        switch verifier.verifyRequest(header, method: request.method.rawValue, pathAndQuery: request.head.path ?? "/", bodyDigest: digest) {
        case .accepted: return
        case .rejected(let reason): throw PlatformRefusal(.unauthorized, reason)
        case .busy: throw PlatformRefusal(.serviceUnavailable, "too many signed requests within the signature window; retry")
        }
    }
}

extension FleetAuthenticator: EndpointVerifying {
    public func rememberedEndpoint(_ headerValue: String?) -> String? {
        guard let headerValue, headerValue.utf8.count <= AuthorizationHeader.maxLength, cache.contains(headerValue) else { return nil }
        return headerValue.verifiedEndpointUUID
    }
}

extension RequestAuthenticator: EndpointVerifying {
    public func signatureVerifier(for uuid: String) -> SignatureVerifier? { signatures }

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

extension Platform {
    /// The endpoint a request comes from (`requireEndpoint`), and, when instances share
    /// the database, its signature's nonce recorded there: a replay this instance never
    /// saw but another accepted is refused as well (docs/security.md, "Signatures").
    func requireEndpoint(_ request: inout Request, bodyLimit: Int) async throws -> String {
        let endpoint = try await authenticator.requireEndpoint(&request, bodyLimit: bodyLimit)
        if let sharedNonces,
            let header = request.headers[HTTPField.Name(LambdaSignature.headerName)!],
            let signature = LambdaSignature(parsing: header)
        {
            guard try await sharedNonces.accept(signature.nonce, from: endpoint) else {
                throw PlatformRefusal(.unauthorized, "Lambda-Signature: this nonce was already used (a replay)")
            }
        }
        return endpoint
    }
}
