import Authentication
import Foundation
import FoundationNetworking
import PlatformWire

#if canImport(FoundationNetworking)
#endif

/// How the platform calls a push endpoint's route; a protocol so that tests put a fake
/// endpoint in its place.
public protocol PushEndpointCalling: Sendable {
    /// The endpoint's answer, or nil status with a description when no answer came.
    func call(
        baseURL: String,
        method: String,
        path: String,
        body: JSONValue?,
        credentials: PushCredentials
    ) async -> (
        status: Int?, body: JSONValue?
    )
}

/// What a call to a push endpoint carries: the `Authorization` value, and the signer that
/// gives each call its `Lambda-Signature` (the endpoint verifies one when present, and may
/// require it).
public struct PushCredentials: Sendable {
    public let authorization: String
    public let signer: MessageSigner

    public init(authorization: String, signer: MessageSigner) {
        self.authorization = authorization
        self.signer = signer
    }
}

/// Calls over HTTP with URLSession, which does its blocking work on threads of its own.
public struct URLSessionPushClient: PushEndpointCalling {
    let session: URLSession

    public init(timeout: TimeInterval = 30) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: configuration)
    }

    public func call(
        baseURL: String,
        method: String,
        path: String,
        body: JSONValue?,
        credentials: PushCredentials
    ) async -> (
        status: Int?, body: JSONValue?
    ) {
        guard let url = URL(string: baseURL + path) else { return (nil, .string("bad url \(baseURL + path)")) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(credentials.authorization, forHTTPHeaderField: "Authorization")
        var bytes = Data()
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            bytes = (try? JSONEncoder().encode(body)) ?? Data()
            request.httpBody = bytes
        }
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components.map { $0.percentEncodedPath.isEmpty ? "/" : $0.percentEncodedPath } ?? "/"
        let target = path + (components?.percentEncodedQuery.map { "?" + $0 } ?? "")
        let signature = credentials.signer.sign(.request, method: method, pathAndQuery: target, body: bytes)
        request.setValue(signature.headerValue, forHTTPHeaderField: LambdaSignature.headerName)
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode
            let answer = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .string(String(decoding: data, as: UTF8.self))
            return (status, answer)
        } catch {
            return (nil, .string("no answer from \(url): \(error.localizedDescription)"))
        }
    }
}
