import EndpointTestSupport
import Foundation
import PlatformServer
import Testing

/// `trusted-proxies`: the login throttle keys on the client a trusted load balancer names
/// in `X-Forwarded-For` (its last entry), and on the peer otherwise (docs/platform.md,
/// *More than one instance*).
@Suite struct TrustedProxiesTests {
    let password = "correct-horse-battery"

    func platform(trusting proxies: [String]) async throws -> TestPlatform {
        let platform = try await TestPlatform(configure: { $0.trustedProxies = proxies })
        let admin = try await platform.token("admin")
        let made = try await platform.call(
            "POST",
            "/api/accounts",
            bearer: admin,
            json: #"{"name": "ops", "role": "operator", "password": "\#(password)"}"#
        )
        #expect(made.status == 201)
        return platform
    }

    func login(_ platform: TestPlatform, _ password: String, forwardedFor: String?) async throws -> Int {
        try await HTTPAnswer.call(
            platform.url,
            "POST",
            "/api/login",
            json: #"{"name": "ops", "password": "\#(password)"}"#,
            headers: forwardedFor.map { ["X-Forwarded-For": $0] } ?? [:]
        ).status
    }

    @Test func behindATrustedProxyFailuresAreCountedPerForwardedAddress() async throws {
        let platform = try await platform(trusting: ["127.0.0.1"])
        defer { Task { await platform.stop() } }
        // The last entry is the one the proxy added; what the client wrote before it is not trusted.
        for attempt in 1...5 {
            #expect(try await login(platform, "wrong-\(attempt)", forwardedFor: "198.51.100.\(attempt), 192.0.2.1") == 401)
        }
        #expect(try await login(platform, "wrong-6", forwardedFor: "192.0.2.1") == 429)
        #expect(try await login(platform, password, forwardedFor: "10.9.9.9, 192.0.2.1") == 429)
        // Another client behind the same proxy is not slowed.
        #expect(try await login(platform, "wrong-7", forwardedFor: "192.0.2.2") == 401)
        #expect(try await login(platform, password, forwardedFor: "2001:db8::2") == 200)
        // A last entry that is no address is ignored: the peer (the proxy) is the key.
        #expect(try await login(platform, password, forwardedFor: "192.0.2.1, not-an-address") == 200)
        #expect(try await login(platform, password, forwardedFor: nil) == 200)
    }

    @Test func withoutTheSettingTheHeaderIsIgnored() async throws {
        let platform = try await platform(trusting: [])
        defer { Task { await platform.stop() } }
        for attempt in 1...5 {
            #expect(try await login(platform, "wrong-\(attempt)", forwardedFor: "192.0.2.\(attempt)") == 401)
        }
        // Every attempt came from 127.0.0.1, whatever the header said.
        #expect(try await login(platform, password, forwardedFor: "192.0.2.99") == 429)
        #expect(try await login(platform, password, forwardedFor: nil) == 429)
    }

    @Test func aProxyNotListedIsNotBelieved() async throws {
        let platform = try await platform(trusting: ["10.0.0.1"])
        defer { Task { await platform.stop() } }
        for attempt in 1...5 {
            #expect(try await login(platform, "wrong-\(attempt)", forwardedFor: "192.0.2.\(attempt)") == 401)
        }
        #expect(try await login(platform, password, forwardedFor: "192.0.2.99") == 429)
    }
}
