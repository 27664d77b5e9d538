import PlatformServer
import ArgumentParser
import Foundation
import SubmitReceiver

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The platform's admin routes from the command line (no Authorization: they are for
/// the operator on the platform's host).
struct PlatformAdminClient {
    let base: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func get<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
        try await exchange(type, URLRequest(url: try url(path)))
    }

    func send<T: Decodable>(_ type: T.Type, _ method: String, _ path: String, _ body: some Encodable) async throws -> T {
        var request = URLRequest(url: try url(path))
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONEncoder().encode(body)
        return try await exchange(type, request)
    }

    private func url(_ path: String) throws -> URL {
        guard let url = URL(string: base.hasSuffix("/") ? String(base.dropLast()) + path : base + path) else {
            throw ValidationError("--platform: not a URL: \(base)")
        }
        return url
    }

    private func exchange<T: Decodable>(_ type: T.Type, _ request: URLRequest) async throws -> T {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "\(request.url?.absoluteString ?? base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw Failure(
                description: "\(request.httpMethod ?? "GET") \(request.url?.path ?? ""): \(status) \(String(decoding: data, as: UTF8.self))"
            )
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}
