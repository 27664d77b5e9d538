import Credentials
import EndpointTestSupport
import Foundation
import Synchronization
import Testing

@Suite("argon2 verification: one thread, libargon2's answer")
struct Argon2VerificationTests {
    @Test("A hash with p=4 made by hashEncoded verifies; with a wrong secret or variant it does not")
    func fourLanes() throws {
        let salt = Array("fourlanesalt0001".utf8)
        let hash = try Argon2.hashEncoded(password: Argon2Vectors.secret, salt: salt, variant: .id, timeCost: 2, memoryKiB: 1024, parallelism: 4)
        #expect(hash.hasPrefix("$argon2id$v=19$m=1024,t=2,p=4$"))
        #expect(Argon2.verify(encoded: hash, password: Argon2Vectors.secret, variant: .id))
        #expect(!Argon2.verify(encoded: hash, password: Argon2Vectors.secret + "x", variant: .id))
        #expect(!Argon2.verify(encoded: hash, password: Argon2Vectors.secret, variant: .i))
    }

    /// libargon2 names each thread it starts after its creator (Linux copies the name
    /// at clone), so the threads of one verification are those with the name of the
    /// thread that called it, whatever else the test process runs meanwhile.
    @Test("A verification runs on its caller's thread only: no thread per lane (p=4, 64 MiB)")
    func oneThread() throws {
        let name = "argon2-probe"
        let hash = try Argon2.hashEncoded(
            password: Argon2Vectors.secret,
            salt: Array("onethreadsalt001".utf8),
            timeCost: 3,
            memoryKiB: 65536,
            parallelism: 4
        )
        let verified = Mutex<Bool?>(nil)
        let thread = Thread {
            try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            let result = Argon2.verify(encoded: hash, password: Argon2Vectors.secret, variant: .i)
            verified.withLock { $0 = result }
        }
        thread.start()
        var peak = 0
        let started = Date()
        while verified.withLock({ $0 }) == nil, Date().timeIntervalSince(started) < 60 {
            peak = max(peak, Self.threads(named: name))
            // Sampled every 200 µs for the peak: a lane's thread would live for milliseconds.
            usleep(200)
        }
        #expect(peak >= 1, "the verifying thread was seen under its name")
        #expect(verified.withLock { $0 } == true)
        #expect(peak == 1, "threads named \(name) at the peak of the verification: \(peak)")
    }

    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) == name
        }.count
    }

    /// The parser reads any order of m, t, p and leading zeros (for the caps); what it
    /// hands libargon2 must still be only what `argon2_verify`'s decoder took, so a
    /// header verifies exactly as before. Each text is the argon2i vector with one
    /// change that argon2_verify refuses (checked with a C program against Debian's
    /// libargon2 0~20171227).
    @Test(
        "Texts libargon2's decoder refuses do not verify, although their parameters parse",
        arguments: [
            "$argon2i$v=19$m=04096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g",
            "$argon2i$v=019$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g",
            "$argon2i$v=19$t=3,m=4096,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g",
            "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MR$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g",
            "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8h",
        ]
    )
    func refusedLikeLibargon2(_ text: String) throws {
        #expect(Argon2EncodedHash(Substring(text)) != nil)
        #expect(!Argon2.verify(encoded: text, password: Argon2Vectors.secret, variant: .i))
    }
}
