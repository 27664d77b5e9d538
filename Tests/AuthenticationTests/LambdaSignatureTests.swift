import Authentication
import Foundation
import Testing

/// `Lambda-Signature` without I/O: the MAC against Python's hmac and hashlib (an
/// independent implementation), parsing, the verifier's checks and the bounded nonce window.
@Suite("Lambda-Signature: the MAC, parsing, verification, nonces")
struct LambdaSignatureTests {
    static let uuid = "4633d686-f75d-4d1f-8415-02ce37d9e5f8"
    static let nonce = "abcdefghijklmnop0123"

    @Test("The MAC of a request and of a poll answer equal Python's hmac.new(secret, message, sha256)")
    func knownVectors() {
        let signer = MessageSigner(uuid: Self.uuid, secret: "the-secret")
        let request = signer.sign(
            .request,
            method: "PUT",
            pathAndQuery: "/submit",
            body: Data(#"{"no":0}"#.utf8),
            nonce: Self.nonce,
            time: 1_765_000_000
        )
        #expect(request.mac == "f5cb0765a92b2a486ba80167cce04452c46889fe472ae42b456ef70324f02857")
        #expect(request.headerValue == "t=1765000000, n=\(Self.nonce), s=\(request.mac)")
        let answer = signer.sign(
            .answer,
            method: "GET",
            pathAndQuery: "/tasks?endpoint=\(Self.uuid)&wait=26&nonce=\(Self.nonce)",
            body: Data(),
            nonce: Self.nonce,
            time: 1_765_000_000
        )
        #expect(answer.mac == "4c132290ab2c34eebdb5ad3495524c87a42ed3aafc17f80e0401d937324120cd")
        #expect(LambdaSignature.bodyDigest(Data(#"{"no":0}"#.utf8)) == "4b0e9386137a7c88013c596dba6214e18f542f2d9f6a4a32fda7c7a0696acad9")
    }

    @Test("Parsing takes t, n, s in any order with spaces; refuses repeats, unknown keys, bad nonces, bad hex, and long values")
    func parsing() {
        let mac = String(repeating: "ab", count: 32)
        #expect(LambdaSignature(parsing: "t=12, n=\(Self.nonce), s=\(mac)") == LambdaSignature(time: 12, nonce: Self.nonce, mac: mac))
        #expect(LambdaSignature(parsing: "s=\(mac),n=\(Self.nonce),t=12") != nil)
        for bad in [
            "t=12, n=\(Self.nonce)", "t=12, t=13, n=\(Self.nonce), s=\(mac)", "t=12, n=short, s=\(mac)", "t=12, n=\(Self.nonce)!, s=\(mac)",
            "t=-1, n=\(Self.nonce), s=\(mac)", "t=12, n=\(Self.nonce), s=\(mac.uppercased())", "t=12, n=\(Self.nonce), s=abc",
            "t=12, n=\(Self.nonce), s=\(mac), x=1", "t=12, n=\(String(repeating: "a", count: 65)), s=\(mac)", "",
            String(repeating: "t=1,", count: 100),
        ] {
            #expect(LambdaSignature(parsing: bad) == nil, "\(bad)")
        }
        #expect(LambdaSignature.isValidNonce(LambdaSignature.makeNonce()))
        #expect(LambdaSignature.makeNonce() != LambdaSignature.makeNonce())
    }

    @Test("A request verifies once: a replay, another key, body, path, method or kind, and a clock 301 s off are refused")
    func verifyingRequests() {
        let now: Int64 = 1_765_000_000
        let verifier = SignatureVerifier(uuid: Self.uuid, secret: "the-secret", clock: { now })
        let signer = MessageSigner(uuid: Self.uuid, secret: "the-secret")
        let digest = LambdaSignature.bodyDigest(Data("body".utf8))
        func header(_ signer: MessageSigner = signer, kind: LambdaSignature.Kind = .request, time: Int64 = now, path: String = "/traces") -> String {
            signer.sign(kind, method: "GET", pathAndQuery: path, body: Data("body".utf8), time: time).headerValue
        }
        let good = header()
        #expect(verifier.verifyRequest(good, method: "GET", pathAndQuery: "/traces", bodyDigest: digest) == .accepted)
        #expect(verifier.verifyRequest(good, method: "GET", pathAndQuery: "/traces", bodyDigest: digest) != .accepted, "a replay")
        let wrong = MessageSigner(uuid: Self.uuid, secret: "other")
        #expect(verifier.verifyRequest(header(wrong), method: "GET", pathAndQuery: "/traces", bodyDigest: digest) != .accepted)
        #expect(verifier.verifyRequest(header(), method: "GET", pathAndQuery: "/traces", bodyDigest: LambdaSignature.bodyDigest(Data())) != .accepted)
        #expect(verifier.verifyRequest(header(path: "/x"), method: "GET", pathAndQuery: "/traces", bodyDigest: digest) != .accepted)
        #expect(verifier.verifyRequest(header(), method: "PUT", pathAndQuery: "/traces", bodyDigest: digest) != .accepted)
        #expect(verifier.verifyRequest(header(kind: .answer), method: "GET", pathAndQuery: "/traces", bodyDigest: digest) != .accepted)
        #expect(verifier.verifyRequest(header(time: now - 301), method: "GET", pathAndQuery: "/traces", bodyDigest: digest) != .accepted)
        #expect(verifier.verifyRequest(header(time: now + 300), method: "GET", pathAndQuery: "/traces", bodyDigest: digest) == .accepted)
        #expect(
            verifier.verifyRequest(nil, method: "GET", pathAndQuery: "/traces", bodyDigest: digest) == .rejected("missing Lambda-Signature header")
        )
    }

    @Test("An answer verifies only with the nonce of the poll it answers")
    func verifyingAnswers() {
        let verifier = SignatureVerifier(uuid: Self.uuid, secret: "the-secret")
        let signer = MessageSigner(uuid: Self.uuid, secret: "the-secret")
        let path = "/tasks?endpoint=\(Self.uuid)&wait=26&nonce=\(Self.nonce)"
        let digest = LambdaSignature.bodyDigest(Data("[]".utf8))
        let answer = signer.sign(.answer, method: "GET", pathAndQuery: path, body: Data("[]".utf8), nonce: Self.nonce).headerValue
        #expect(verifier.verifyAnswer(answer, method: "GET", pathAndQuery: path, nonce: Self.nonce, bodyDigest: digest) == .accepted)
        #expect(verifier.verifyAnswer(answer, method: "GET", pathAndQuery: path, nonce: "ANOTHERnonce0000", bodyDigest: digest) != .accepted)
        let asRequest = signer.sign(.request, method: "GET", pathAndQuery: path, body: Data("[]".utf8), nonce: Self.nonce).headerValue
        #expect(verifier.verifyAnswer(asRequest, method: "GET", pathAndQuery: path, nonce: Self.nonce, bodyDigest: digest) != .accepted)
    }

    @Test("The nonce window is bounded: full, a new nonce is refused (never an old one forgotten); expired ones make room")
    func nonceWindow() {
        let window = NonceWindow(window: 300, capacity: 3)
        #expect(window.accept("a", now: 0) == .accepted)
        #expect(window.accept("b", now: 100) == .accepted)
        #expect(window.accept("c", now: 200) == .accepted)
        #expect(window.accept("d", now: 250) == .full)
        #expect(window.accept("a", now: 250) == .repeated)
        #expect(window.accept("d", now: 301) == .accepted, "a's time is over: its place is free")
        #expect(window.accept("a", now: 301) == .full)
        #expect(window.count == 3)
        for second in 0..<10_000 { _ = window.accept("n\(second)", now: Int64(1000 + second * 300)) }
        #expect(window.count <= 3)
    }
}
