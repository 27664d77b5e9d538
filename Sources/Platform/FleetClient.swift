import Foundation
import FoundationNetworking
import PlatformServer

#if canImport(FoundationNetworking)
#endif

/// The operator API as `lambda-platform fleet` calls it: `--url`, and the bearer token of
/// `--token-file` (a file only its owner may read, like any secret; never on the command line).
struct FleetClient {
    let url: String
    let token: String?

    /// The token in `path`: its first line. Refused when group or others may read it.
    static func token(from path: String) -> String {
        let data: Data
        do {
            data = try EndpointCredentials.readPrivateFile(path)
        } catch {
            fail("--token-file \(error)")
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !token.isEmpty else { fail("--token-file \(path): empty") }
        return token
    }

    /// The answer's body when 2xx; otherwise the one-line error (the API's `error` text).
    func call(_ method: String, _ path: String, json: Data? = nil) async -> Data {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let target = URL(string: base + path), ["http", "https"].contains(target.scheme) else {
            fail("--url \(url): expected http(s)://host:port")
        }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = json
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            fail("\(method) \(path): no answer from \(base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message =
                (try? JSONDecoder().decode([String: String].self, from: data))?["error"] ?? String(decoding: data.prefix(200), as: UTF8.self)
            fail("\(method) \(path): \(status) \(message)")
        }
        return data
    }
}
