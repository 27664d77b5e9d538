import Authentication
import HTTPTypes
import Hummingbird
import PrometheusMetrics

/// Lets a request through only when its `Authorization` header is this endpoint's
/// (see `RequestAuthenticator`) and its `Lambda-Signature`, when present or required
/// (`require-signed-requests`), verifies (`SignatureVerifier`): 401 otherwise, 503 when
/// verifications or remembered nonces are saturated. A pull-mode task run in process
/// passes: its poll answer's signature was verified before it ran (`PullControl`).
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = EndpointRequestContext

    let authenticator: RequestAuthenticator
    let signatures: SignatureVerifier
    let requireSignedRequests: Bool
    /// A signed request's body is read here to check its hash: at most this much (413).
    let maxBodyBytes: Int
    let metrics: EndpointMetrics?

    public init(
        authenticator: RequestAuthenticator,
        signatures: SignatureVerifier,
        requireSignedRequests: Bool,
        maxBodyBytes: Int,
        metrics: EndpointMetrics? = nil
    ) {
        self.authenticator = authenticator
        self.signatures = signatures
        self.requireSignedRequests = requireSignedRequests
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.arrivedInSignedPollAnswer { return try await next(request, context) }
        let headerValue = request.headers[.authorization]
        if !authenticator.isRemembered(headerValue) {
            switch await authenticator.authenticate(headerValue) {
            case .accepted:
                break
            case .rejected(let reason):
                throw refusal(reason, request, context)
            case .busy:
                metrics?.authenticationBusy()
                throw APIError(.serviceUnavailable, "too many authentications in progress; retry shortly", headers: [.retryAfter: "1"])
            }
        }
        let signature = request.headers[Self.signatureField]
        guard signature != nil || requireSignedRequests else { return try await next(request, context) }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body is larger than \(maxBodyBytes) bytes (max-body-bytes)")
        }
        let digest = body.withUnsafeReadableBytes { LambdaSignature.bodyDigest($0) }
        switch signatures.verifyRequest(signature, method: request.method.rawValue, pathAndQuery: request.head.path ?? "/", bodyDigest: digest) {
        case .accepted:
            return try await next(request, context)
        case .rejected(let reason):
            throw refusal(signature == nil ? "missing Lambda-Signature header (require-signed-requests is true)" : reason, request, context)
        case .busy:
            metrics?.authenticationBusy()
            throw APIError(.serviceUnavailable, "too many signed requests within the signature window; retry shortly", headers: [.retryAfter: "5"])
        }
    }

    func refusal(_ reason: String, _ request: Request, _ context: Context) -> APIError {
        metrics?.authenticationRejected()
        context.logger.notice("Request refused: not authenticated", metadata: ["http.path": "\(request.uri.path)", "auth.reason": "\(reason)"])
        return APIError(.unauthorized, reason)
    }

    static let signatureField = HTTPField.Name(LambdaSignature.headerName)!
}
