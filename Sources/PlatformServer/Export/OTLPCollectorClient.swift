import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts `ExportLogsServiceRequest`s to `<otlp-endpoint>/v1/logs` (OTLP/HTTP, binary
/// protobuf) with URLSession, which does its blocking work on threads of its own.
struct OTLPCollectorClient: Sendable {
    enum Outcome: Equatable {
        case accepted
        /// Worth trying again: no answer (down, refused, timed out), 429, or a 5xx.
        case retry(String)
        /// Any other answer: the collector will not take this request, ever.
        case rejected(Int)
    }

    /// A collector that accepts and never answers holds a request this long, no more.
    static let requestTimeout: TimeInterval = 10

    let url: URL
    let session: URLSession

    init?(endpoint: String) {
        guard let url = URL(string: endpoint + "/v1/logs") else { return nil }
        self.url = url
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.requestTimeout
        configuration.timeoutIntervalForResource = Self.requestTimeout
        session = URLSession(configuration: configuration)
    }

    func post(_ body: [UInt8]) async -> Outcome {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        do {
            let (_, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            switch status {
            case 200..<300: return .accepted
            case 429, 500..<600: return .retry("HTTP \(status)")
            default: return .rejected(status)
            }
        } catch {
            return .retry(error.localizedDescription)
        }
    }
}
