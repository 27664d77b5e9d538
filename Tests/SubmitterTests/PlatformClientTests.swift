import Authentication
import EndpointTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Submitter
import Synchronization
import Testing

/// `PlatformClient` against loopback platforms in this process: NIO's server codec
/// (no pipelining handler, so a second request on a busy connection would show), each
/// request answered as the test scripts it. Seconds, no processes.
@Suite("Platform client on loopback servers")
struct PlatformClientTests {
    let authorization: OutgoingAuthorization

    init() throws {
        authorization = try OutgoingAuthorization(endpointUUID: TestConfigDirectory.endpointUUID, secret: TestConfigDirectory.secret)
    }

    func client(
        _ platform: ScriptedPlatform,
        path: String = "",
        timeoutSeconds: Int64 = 30,
        caFile: String? = nil,
        host: String = "127.0.0.1"
    ) -> PlatformClient {
        PlatformClient(
            platformURL: "\(platform.scheme)://\(host):\(platform.port)\(path)",
            authorization: authorization,
            timeoutSeconds: timeoutSeconds,
            caFile: caFile
        )
    }

    /// One send's outcome and how long it took.
    static func timedSend(_ client: PlatformClient) async -> (Result<PlatformAnswer, any Error>, Duration) {
        let began = ContinuousClock.now
        let result: Result<PlatformAnswer, any Error>
        do {
            result = .success(try await client.send(ByteBuffer(string: "{}")))
        } catch {
            result = .failure(error)
        }
        return (result, ContinuousClock.now - began)
    }

    @Test("Keep-alive: many messages over one connection; the request line and headers are AsyncHTTPClient's")
    func keepAliveReuse() async throws {
        let platform = try await ScriptedPlatform { _ in .answer(status: 200) }
        let client = client(platform, path: "/prefix")
        for no in 0..<50 {
            let answer = try await client.send(ByteBuffer(string: #"{"no":\#(no)}"#))
            #expect(answer == PlatformAnswer(status: 200))
        }
        #expect(platform.connectionsAccepted == 1)
        let received = platform.received
        #expect(received.count == 50)
        let first = try #require(received.first)
        #expect(first.head.method == .PUT && first.head.uri == "/prefix/submit" && first.head.version == .http1_1)
        #expect(
            first.head.headers.map { "\($0.name): \($0.value)" }.dropLast() == [
                "Content-Type: application/json", "Authorization: \(authorization.headerValue)", "host: 127.0.0.1:\(platform.port)",
                "Content-Length: 8",
            ]
        )
        #expect(first.body == #"{"no":0}"#)
        // Then each message's own signature, over its path and body, with a fresh nonce.
        let verifier = SignatureVerifier(uuid: authorization.signer.uuid, secret: TestConfigDirectory.secret)
        for message in received {
            #expect(message.head.headers.last?.name == LambdaSignature.headerName)
            let verdict = verifier.verifyRequest(
                message.head.headers.first(name: LambdaSignature.headerName),
                method: "PUT",
                pathAndQuery: "/prefix/submit",
                bodyDigest: LambdaSignature.bodyDigest(Data(message.body.utf8))
            )
            #expect(verdict == .accepted, "no \(message.body)")
        }
        #expect(platform.overlappingRequests == 0)
        await platform.stop()
    }

    @Test("A platform that closes after each answer (Connection: close, or plain EOF) gets a new connection per message")
    func closedConnectionsAreReplaced() async throws {
        for announced in [true, false] {
            let platform = try await ScriptedPlatform { _ in .answer(status: 200, close: announced ? .announced : .silently) }
            let client = client(platform)
            for _ in 0..<5 {
                #expect(try await client.send(ByteBuffer(string: "{}")).status == 200)
                // An unannounced close races the next message if it follows at once; a
                // platform that closes silently pays a retry then, as with any client.
                if !announced { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(platform.connectionsAccepted == 5, "announced: \(announced)")
            await platform.stop()
        }
    }

    @Test("503 with Retry-After, and a 303, are answers: status and Retry-After returned, the redirect not followed")
    func statusesAndRetryAfter() async throws {
        let platform = try await ScriptedPlatform { index in
            index == 0 ? .answer(status: 503, headers: [("Retry-After", "7")]) : .answer(status: 303, headers: [("Location", "/status")])
        }
        let client = client(platform)
        #expect(try await client.send(ByteBuffer(string: "{}")) == PlatformAnswer(status: 503, retryAfter: "7"))
        #expect(try await client.send(ByteBuffer(string: "{}")) == PlatformAnswer(status: 303))
        #expect(platform.received.map(\.head.uri) == ["/submit", "/submit"])
        await platform.stop()
    }

    @Test("A 1 MB answer body is drained (the connection is reused); a 256 MB one does not grow memory")
    func largeAnswerBodies() async throws {
        let platform = try await ScriptedPlatform { index in .answer(status: 200, bodyBytes: index < 2 ? 1 << 20 : 256 << 20) }
        let client = client(platform)
        #expect(try await client.send(ByteBuffer(string: "{}")).status == 200)
        #expect(try await client.send(ByteBuffer(string: "{}")).status == 200)
        #expect(platform.connectionsAccepted == 1)
        let before = Self.residentBytes()
        #expect(try await client.send(ByteBuffer(string: "{}")).status == 200)
        let growth = Self.residentBytes() - before
        #expect(growth < 64 << 20, "resident memory grew by \(growth >> 20) MiB reading a 256 MiB answer")
        await platform.stop()
    }

    @Test("An answer before the whole body was sent (a 413 to a large message): that connection is not used again")
    func answerBeforeTheWholeBody() async throws {
        let platform = try await ScriptedPlatform { index in
            index == 0 ? .answerBeforeBody(status: 413, pause: .milliseconds(300)) : .answer(status: 200)
        }
        let client = client(platform)
        // Far more than the loopback socket buffers hold while the platform reads nothing.
        #expect(try await client.send(ByteBuffer(repeating: UInt8(ascii: "x"), count: 16 << 20)).status == 413)
        #expect(try await client.send(ByteBuffer(string: "{}")).status == 200)
        #expect(platform.connectionsAccepted == 2)
        // Sizes, not bodies: a failure must not print 16 MiB.
        #expect(platform.received.map(\.body.count) == [2], "the rest of the first body never came ahead of the next request")
        await platform.stop()
    }

    @Test("A platform that never answers: the send fails after timeoutSeconds, the connection is closed")
    func timeout() async throws {
        let platform = try await ScriptedPlatform { _ in .silence }
        let client = client(platform, timeoutSeconds: 1)
        let (result, took) = await Self.timedSend(client)
        #expect(throws: PlatformClientError.timedOut(seconds: 1)) { try result.get() }
        #expect(took >= Duration.milliseconds(900) && took < Duration.seconds(3), "\(took)")
        try await RunDeliveryTests.waitUntil("the platform sees the connection closed") { platform.connectionsClosed == 1 }
        await platform.stop()
    }

    @Test("A platform that accepts and resets: the send throws at once, and so does one to a closed port (no backoff)")
    func resetAndRefused() async throws {
        let platform = try await ScriptedPlatform { _ in .reset }
        let client = client(platform)
        for _ in 0..<3 {
            let (result, took) = await Self.timedSend(client)
            #expect(throws: (any Error).self) { try result.get() }
            #expect(took < .seconds(1), "\(took)")
        }
        let port = platform.port
        await platform.stop()
        let refused = PlatformClient(platformURL: "http://127.0.0.1:\(port)", authorization: authorization)
        for _ in 0..<3 {
            let (result, took) = await Self.timedSend(refused)
            #expect(throws: (any Error).self) { try result.get() }
            #expect(took < .seconds(1), "\(took)")
        }
    }

    @Test("Cancelling the sending task fails the send at once with CancellationError and closes its connection")
    func cancellation() async throws {
        let platform = try await ScriptedPlatform { _ in .silence }
        let client = client(platform)
        let sending = Task { try await client.send(ByteBuffer(string: "{}")) }
        try await RunDeliveryTests.waitUntil("the request arrives") { platform.received.count == 1 }
        let began = ContinuousClock.now
        sending.cancel()
        let result = await sending.result
        #expect(ContinuousClock.now - began < .seconds(1))
        #expect(throws: CancellationError.self) { try result.get() }
        try await RunDeliveryTests.waitUntil("the platform sees the connection closed") { platform.connectionsClosed == 1 }
        // Cancelled before it starts: nothing is sent.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(ByteBuffer(string: "{}"))
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        await platform.stop()
    }

    @Test("Several runs at once: one connection each, never two requests in flight on one")
    func concurrentSends() async throws {
        let platform = try await ScriptedPlatform(answerDelay: .milliseconds(5)) { _ in .answer(status: 200) }
        let client = client(platform)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<20 {
                        let answer = try await client.send(ByteBuffer(string: "{}"))
                        #expect(answer.status == 200)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(platform.received.count == 80)
        #expect(platform.overlappingRequests == 0)
        #expect(platform.connectionsAccepted <= 4)
        await platform.stop()
    }

    @Test("https: our CA trusted (by IP and by name); another CA, the system roots and a wrong host name refused")
    func https() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let tls = try NIOSSLContext(
            configuration: TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.certificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.keyFile, format: .pem))
            )
        )
        let platform = try await ScriptedPlatform(tls: tls) { _ in .answer(status: 200) }
        #expect(try await client(platform, caFile: certificates.caFile).send(ByteBuffer(string: "{}")).status == 200)
        #expect(try await client(platform, caFile: certificates.caFile, host: "localhost").send(ByteBuffer(string: "{}")).status == 200)
        for caFile in [certificates.otherCAFile, nil] {
            await #expect(throws: (any Error).self, "trust roots \(caFile ?? "system")") {
                try await client(platform, caFile: caFile).send(ByteBuffer(string: "{}"))
            }
        }
        #expect(platform.received.count == 2, "nothing reached a platform we do not trust")
        await platform.stop()
        // The certificate names 127.0.0.1 and localhost, not 127.0.0.2.
        let elsewhere = try await ScriptedPlatform(tls: tls, host: "127.0.0.2") { _ in .answer(status: 200) }
        await #expect(throws: (any Error).self) {
            try await client(elsewhere, caFile: certificates.caFile, host: "127.0.0.2").send(ByteBuffer(string: "{}"))
        }
        #expect(elsewhere.received.isEmpty)
        await elsewhere.stop()
    }

    static func residentBytes() -> Int {
        let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
