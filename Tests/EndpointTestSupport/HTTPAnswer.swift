import Authentication
import Foundation
import FoundationNetworking

#if canImport(FoundationNetworking)
#endif

/// An HTTP answer as a test reads it.
public struct HTTPAnswer: Sendable {
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: Data

    public func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// One request to `base` + `path`. With `authorization` and `signingSecret`, it is
    /// signed (`Lambda-Signature`) as the endpoint the Authorization names signs; with
    /// `bearer`, it carries `Authorization: Bearer <token>` (an operator's call).
    public static func call(
        _ base: String,
        _ method: String,
        _ path: String,
        authorization: String? = nil,
        signingSecret: String? = nil,
        bearer: String? = nil,
        json: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: "\(base)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        for (name, value) in extra { request.setValue(value, forHTTPHeaderField: name) }
        let body = Data((json ?? "").utf8)
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        if let authorization, let signingSecret {
            let signer = MessageSigner(uuid: String(authorization.prefix(36)), secret: signingSecret)
            request.setValue(
                signer.sign(.request, method: method, pathAndQuery: path, body: body).headerValue,
                forHTTPHeaderField: LambdaSignature.headerName
            )
        }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return HTTPAnswer(status: http.statusCode, headers: headers, body: data)
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()
}
