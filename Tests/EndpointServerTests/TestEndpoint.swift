import EndpointConfig
import EndpointServer
import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TraceModel

/// A whole endpoint application built from a real config directory with a real SQLite
/// file, as `lambda-endpoint serve` builds it.
struct TestEndpoint {
    let directory: TestConfigDirectory
    let configuration: EndpointConfiguration

    init(directory: TestConfigDirectory? = nil, lambda: [String: String?] = [:]) throws {
        self.directory = try directory ?? TestConfigDirectory(lambda: lambda)
        self.configuration = try EndpointConfiguration.load(directory: self.directory.path, environment: [:])
    }

    func application() throws -> some ApplicationProtocol {
        var logger = Logger(label: "lambda-endpoint-test")
        logger.logLevel = .warning
        return buildApplication(dependencies: try EndpointDependencies(configuration: configuration), logger: logger)
    }

    /// Header made by Debian's argon2 CLI for the test secret (argon2i).
    static let authorization =
        TestConfigDirectory.endpointUUID
        + "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g"
    /// The same, argon2id with other parameters.
    static let authorizationID =
        TestConfigDirectory.endpointUUID
        + "$argon2id$v=19$m=1024,t=2,p=2$b3RoZXJzYWx0MTIz$1gS2fkP51gcl95oSwE2BGc50OX20Z3r+AeOx1dmhpdw"

    static let jsonHeaders: HTTPFields = [.authorization: authorization, .contentType: "application/json"]
    static let authHeaders: HTTPFields = [.authorization: authorization]
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

extension String {
    var buffer: ByteBuffer { ByteBuffer(string: self) }
}

func json(_ template: TraceTemplate) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(template), as: UTF8.self)
}

/// `{"error": message}` exactly as the endpoint writes it.
func errorBody(_ message: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding a dictionary of strings cannot fail.
    return String(decoding: try! encoder.encode(["error": message]), as: UTF8.self)
}
