import Authentication
import Credentials
import EndpointTestSupport
import Foundation
import Testing

@Suite("argon2 and the Authorization header")
struct RequestAuthenticatorTests {
    func authenticator(_ settings: AuthSettings = AuthSettings()) -> RequestAuthenticator {
        RequestAuthenticator(endpointUUID: TestConfigDirectory.endpointUUID, secret: Argon2Vectors.secret, settings: settings)
    }

    @Test("libargon2 verifies the argon2 CLI's hashes of every variant, and only with the right secret")
    func verifiesIndependentHashes() {
        #expect(Argon2.verify(encoded: Argon2Vectors.argon2i, password: Argon2Vectors.secret, variant: .i))
        #expect(Argon2.verify(encoded: Argon2Vectors.argon2id, password: Argon2Vectors.secret, variant: .id))
        #expect(Argon2.verify(encoded: Argon2Vectors.argon2d, password: Argon2Vectors.secret, variant: .d))
        #expect(!Argon2.verify(encoded: Argon2Vectors.wrongSecret, password: Argon2Vectors.secret, variant: .i))
        #expect(!Argon2.verify(encoded: Argon2Vectors.argon2i, password: "other", variant: .i))
        #expect(!Argon2.verify(encoded: Argon2Vectors.argon2i, password: Argon2Vectors.secret, variant: .id))
    }

    /// The auth fuzzer's property "verifies only with the parameters of a real hash" is
    /// not vacuous only if its real-hash seeds do verify, and its others do not.
    @Test("The auth fuzzer's seeds: the valid-* ones verify against its secret, the others are refused")
    func authFuzzSeeds() async throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/auth/corpus")
        let fuzzer = RequestAuthenticator(endpointUUID: TestConfigDirectory.endpointUUID, secret: "fuzz-secret", settings: AuthSettings(cacheSize: 0))
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        #expect(seeds.count >= 10)
        for seed in seeds {
            let value = try String(contentsOf: corpus.appendingPathComponent(seed), encoding: .utf8)
            let outcome = await fuzzer.authenticate(value)
            if seed.hasPrefix("valid-") {
                #expect(outcome == .accepted, "\(seed)")
            } else {
                #expect(outcome != .accepted, "\(seed)")
            }
        }
    }

    @Test("Encoded hashes are parsed without computing; malformed ones are refused")
    func parsesEncodedHash() throws {
        let hash = try #require(Argon2EncodedHash(Substring(Argon2Vectors.argon2id)))
        #expect(hash.variant == .id && hash.version == 19 && hash.memoryKiB == 1024 && hash.timeCost == 2 && hash.parallelism == 2)
        #expect(Argon2EncodedHash("$argon2i$m=4096,t=3,p=1$c2FsdA$aGFzaA")?.version == nil)
        for bad in [
            "", "argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2x$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
            "$argon2i$v=19$m=1,t=1$c2FsdA$aGFzaA", "$argon2i$v=19$m=1,t=1,p=1,p=2$c2FsdA$aGFzaA",
            "$argon2i$v=19$m=-1,t=1,p=1$c2FsdA$aGFzaA", "$argon2i$v=19$m=99999999999,t=1,p=1$c2FsdA$aGFzaA",
            "$argon2i$v=19$m=1,t=1,p=1$c2FsdA", "$argon2i$v=19$m=1,t=1,p=1$$aGFzaA", "$argon2i$v=19$m=1,t=1,p=1$c2F%dA$aGFzaA",
            "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA$extra",
        ] {
            #expect(Argon2EncodedHash(Substring(bad)) == nil, "accepted \(bad)")
        }
    }

    @Test("Accepted: argon2i, argon2id and argon2d headers for this uuid and secret (uuid case-insensitive)")
    func acceptsGoodHeaders() async {
        let auth = authenticator()
        for hash in [Argon2Vectors.argon2i, Argon2Vectors.argon2id, Argon2Vectors.argon2d] {
            #expect(await auth.authenticate(Argon2Vectors.header(hash)) == .accepted)
        }
        #expect(
            await auth.authenticate(Argon2Vectors.header(Argon2Vectors.argon2i, uuid: TestConfigDirectory.endpointUUID.uppercased())) == .accepted
        )
    }

    @Test("Refused: missing, garbage, wrong uuid, wrong secret, over-long, over the argon2 caps")
    func refusesBadHeaders() async {
        let auth = authenticator()
        let otherUUID = "00000000-0000-4000-8000-000000000000"
        let cases: [(String?, String)] = [
            (nil, "missing Authorization header"),
            ("", "missing Authorization header"),
            ("garbage", "malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>"),
            (
                "Bearer " + Argon2Vectors.header(Argon2Vectors.argon2i),
                "malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>"
            ),
            (TestConfigDirectory.endpointUUID, "malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>"),
            // One answer whichever part is wrong: a client guessing uuids learns nothing.
            (Argon2Vectors.header(Argon2Vectors.argon2i, uuid: otherUUID), Argon2Vectors.notThisEndpoint),
            (Argon2Vectors.header(Argon2Vectors.wrongSecret), Argon2Vectors.notThisEndpoint),
            (Argon2Vectors.header(Argon2Vectors.wrongSecret, uuid: otherUUID), Argon2Vectors.notThisEndpoint),
            // The caps are checked before the uuid too.
            (
                Argon2Vectors.header(Argon2Vectors.overTimeCap, uuid: otherUUID),
                "Authorization hash refused: t=11 exceeds this endpoint's limit of 10"
            ),
            (String(repeating: "a", count: 513), "Authorization header is longer than 512 bytes"),
            (Argon2Vectors.header(Argon2Vectors.overMemoryCap), "Authorization hash refused: m=131072 exceeds this endpoint's limit of 65536 KiB"),
            (Argon2Vectors.header(Argon2Vectors.overTimeCap), "Authorization hash refused: t=11 exceeds this endpoint's limit of 10"),
            (
                Argon2Vectors.header("$argon2i$v=19$m=4096,t=3,p=9$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g"),
                "Authorization hash refused: p=9 exceeds this endpoint's limit of 8"
            ),
        ]
        for (header, reason) in cases {
            #expect(await auth.authenticate(header) == .rejected(reason))
        }
        #expect(auth.cache.count == 0)
    }

    @Test("The caps are configurable: a hash over a lowered cap is refused, the same hash passes with the defaults")
    func configurableCaps() async {
        let strict = authenticator(AuthSettings(maxMemoryKiB: 1024))
        #expect(
            await strict.authenticate(Argon2Vectors.header(Argon2Vectors.argon2i))
                == .rejected("Authorization hash refused: m=4096 exceeds this endpoint's limit of 1024 KiB")
        )
        #expect(await authenticator().authenticate(Argon2Vectors.header(Argon2Vectors.argon2i)) == .accepted)
    }

    @Test("A verified header is cached; a wrong one never is; capacity 0 disables the cache")
    func cachesVerifiedHeaders() async {
        let auth = authenticator()
        let good = Argon2Vectors.header(Argon2Vectors.argon2i)
        #expect(auth.cache.contains(good) == false)
        #expect(await auth.authenticate(good) == .accepted)
        #expect(auth.cache.contains(good))
        #expect(await auth.authenticate(Argon2Vectors.header(Argon2Vectors.wrongSecret)) != .accepted)
        #expect(auth.cache.count == 1)
        // A value differing only in its last byte is not a cache hit.
        #expect(!auth.cache.contains(String(good.dropLast()) + "h"))

        let uncached = authenticator(AuthSettings(cacheSize: 0))
        #expect(await uncached.authenticate(good) == .accepted)
        #expect(uncached.cache.count == 0)
    }

    @Test("The cache is bounded and drops the least recently used entry")
    func cacheEvictsLeastRecentlyUsed() {
        let cache = VerifiedHeaderCache(capacity: 2)
        cache.insert("a")
        cache.insert("b")
        #expect(cache.contains("a"))  // "b" is now the least recently used
        cache.insert("c")
        #expect(cache.count == 2)
        #expect(cache.contains("a"))
        #expect(!cache.contains("b"))
        #expect(cache.contains("c"))
    }

    @Test("Constant-time comparison is a correct equality")
    func constantTimeComparison() {
        #expect(constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }

    @Test("The verification gate admits its limit, queues up to its line, refuses beyond")
    func verificationGate() async {
        let gate = VerificationGate(maxConcurrent: 1, maxWaiting: 1)
        #expect(await gate.enter())
        let queued = Task { await gate.enter() }
        while await gate.waiting < 1 { await Task.yield() }
        #expect(await gate.enter() == false)  // the line is full
        await gate.leave()  // hands the slot to the queued request
        #expect(await queued.value)
        #expect(await gate.waiting == 0)
        await gate.leave()
        #expect(await gate.enter())
    }

    @Test("A flood of fresh bad headers is refused with busy, while a cached good header still passes")
    func floodDoesNotStarveCachedHeaders() async {
        let auth = authenticator(AuthSettings(maxConcurrentVerifications: 1, maxWaitingVerifications: 2))
        let good = Argon2Vectors.header(Argon2Vectors.argon2i)
        #expect(await auth.authenticate(good) == .accepted)
        let outcomes = await withTaskGroup(of: RequestAuthenticator.Outcome.self) { group in
            for index in 0..<24 {
                // Distinct salts: each needs its own argon2 run (m=4096, t=3).
                let salt = Data("floodsalt\(String(format: "%04d", index))".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                let bad = Argon2Vectors.header("$argon2i$v=19$m=4096,t=3,p=1$\(salt)$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g")
                group.addTask { await auth.authenticate(bad) }
            }
            group.addTask { await auth.authenticate(good) }
            var all: [RequestAuthenticator.Outcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 1)
        #expect(outcomes.contains(.busy))
        #expect(outcomes.filter { $0 == .busy }.count + outcomes.filter { $0 == .rejected(Argon2Vectors.notThisEndpoint) }.count == 24)
    }
}
