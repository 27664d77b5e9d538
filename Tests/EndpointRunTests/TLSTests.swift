import EndpointTestSupport
import Foundation
import NIOSSL
import Testing

/// HTTPS on both sides with certificates made by openssl at test time: the endpoint's
/// own server (checked with curl, an independent client) and its platform connection.
@Suite("TLS: endpoint server and platform connection")
struct TLSTests {
    func curl(_ arguments: [String]) throws -> (code: Int32?, output: String) {
        let process = try SpawnedProcess(executable: "/usr/bin/curl", arguments: ["-sS", "--max-time", "10"] + arguments)
        let code = process.waitForExit(timeout: 20)
        return (code, process.standardOutput)
    }

    @Test("settings.yml tls-certificate/tls-key: HTTPS with our CA; another CA and plain HTTP are refused")
    func serverTLS() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            settings: ["tls-certificate": certificates.certificateFile, "tls-key": certificates.keyFile]
        )
        let url = "https://127.0.0.1:\(endpoint.port)"

        let heartbeat = try curl(["--cacert", certificates.caFile, url + "/heartbeat"])
        #expect(heartbeat.code == 0)
        #expect(heartbeat.output.hasPrefix(#"{"status":"alive","#))
        let traces = try curl(["--cacert", certificates.caFile, "-H", "Authorization: \(endpoint.authorization)", url + "/traces"])
        #expect(traces.code == 0 && traces.output == "[]")

        let wrongCA = try curl(["--cacert", certificates.otherCAFile, url + "/heartbeat"])
        #expect(wrongCA.code == 60, "curl: peer certificate cannot be authenticated with the given CA")
        let plain = try curl(["http://127.0.0.1:\(endpoint.port)/heartbeat"])
        #expect(plain.code != 0 && !plain.output.contains("alive"))
    }

    @Test("https platform-url with platform-ca-file: delivered; with another CA: nothing sent, the error shown")
    func platformTLS() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let serverTLS = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.keyFile, format: .pem))
        )
        let receiver = try await LiveReceiver(tls: serverTLS)
        defer { receiver.stop() }
        #expect(receiver.url.hasPrefix("https://"))

        let trusted = try EndpointProcess(receiver: receiver, lambda: DeliveryTests.fast.merging(["platform-ca-file": certificates.caFile]) { $1 })
        let number = try await trusted.putTemplate(DeliveryTests.template)
        let filePath = try await trusted.start(traceId: number, lasting: 120)
        try await eventually("a first chunk acknowledged over https") {
            try await trusted.runStatus(filePath).map { $0.chunksAcknowledged > 0 } ?? false
        }
        _ = try await trusted.request("POST", "/trace/kill", json: #"{"killPath":"\#(filePath)"}"#)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.verdict == .complete && received.chunks > 0)
        #expect(try await receiver.stream(filePath) == Data(contentsOf: URL(fileURLWithPath: filePath)))

        let distrusted = try EndpointProcess(
            receiver: receiver,
            lambda: DeliveryTests.fast.merging(["platform-ca-file": certificates.otherCAFile]) { $1 }
        )
        let other = try await distrusted.start(traceId: try await distrusted.putTemplate(DeliveryTests.template), lasting: 120)
        let status = try await eventuallyValue("a delivery attempt fails and is retried", timeout: .seconds(10)) {
            try await distrusted.runStatus(other).flatMap { $0.retries > 0 ? $0 : nil }
        }
        #expect(status.lastDeliveryError?.hasPrefix("cannot reach the platform") == true, "\(status)")
        #expect(await receiver.store.trace(other) == nil, "nothing reached a platform whose certificate we do not trust")
        _ = try await distrusted.request("POST", "/trace/kill", json: #"{"killPath":"\#(other)"}"#)
    }
}
