import EndpointTestSupport
import Foundation

/// The OTLP/HTTP collector of the tests (`Tests/Fixtures/otlp-collector.py`): a real
/// Python process on loopback that decodes each request with opentelemetry-proto's
/// generated classes (PyPI `opentelemetry-proto`, installed by scripts/install-deps.sh)
/// and writes one JSON line per record; `hang` accepts requests and never answers.
public final class OTLPTestCollector: @unchecked Sendable {
    /// One log record as the collector decoded it.
    public struct Record: Decodable, Equatable, Sendable {
        public let request: Int
        public let resource: [String: String]
        public let scope: String
        public let body: String
        public let attributes: [String: AttributeValue]
        public let time: UInt64
        public let observed: UInt64

        public func text(_ key: String) -> String? {
            if case .text(let value) = attributes[key] { return value }
            return nil
        }
    }

    public enum AttributeValue: Decodable, Equatable, Sendable {
        case text(String)
        case flag(Bool)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .flag(flag) } else { self = .text(try container.decode(String.self)) }
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/otlp-collector.py").path

    public let port: Int
    let outPath: String
    private let process: SpawnedProcess
    public var url: String { "http://127.0.0.1:\(port)" }

    /// `port` 0: any free port.
    public init(port: Int = 0, hang: Bool = false) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-collector-\(UUID().uuidString)").path
        outPath = base + ".ndjson"
        process = try SpawnedProcess(
            // The python3 on PATH: the one scripts/install-deps.sh installed the package for.
            executable: "/usr/bin/env",
            arguments: ["python3", Self.script, "--port", "\(port)", "--port-file", base + ".port", "--out", outPath, "--mode", hang ? "hang" : "ok"]
        )
        let process = process
        guard let port = process.waitWhileRunning(timeout: 20, for: { portWritten(to: base + ".port") }) else {
            process.send(SIGKILL)
            throw CollectorFailed(reason: "no port written; stderr: \(process.standardError)")
        }
        self.port = port
        try? FileManager.default.removeItem(atPath: base + ".port")
    }

    public struct CollectorFailed: Error, CustomStringConvertible {
        let reason: String
        public var description: String { "otlp-collector.py: \(reason)" }
    }

    /// The records received so far, in order.
    public func records() throws -> [Record] {
        guard let data = FileManager.default.contents(atPath: outPath) else { return [] }
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Record.self, from: Data($0)) }
    }

    public func stop() {
        process.send(SIGKILL)
        _ = process.waitForExit(timeout: 10)
        try? FileManager.default.removeItem(atPath: outPath)
    }

    /// A loopback port where nothing listens now (a collector's, stopped): for a
    /// collector that is down, then started there.
    public static func closedPort() throws -> Int {
        let collector = try OTLPTestCollector()
        collector.stop()
        return collector.port
    }
}
