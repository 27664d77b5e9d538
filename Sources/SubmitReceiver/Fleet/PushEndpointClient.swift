import EndpointCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
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
        authorization: String
    ) async -> (
        status: Int?, body: JSONValue?
    )
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
        authorization: String
    ) async -> (
        status: Int?, body: JSONValue?
    ) {
        guard let url = URL(string: baseURL + path) else { return (nil, .string("bad url \(baseURL + path)")) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try? JSONEncoder().encode(body)
        }
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
