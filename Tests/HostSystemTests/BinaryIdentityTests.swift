import EndpointTestSupport
import Foundation
import HostSystem
import Testing
import TraceModel

@Suite("A binary's identity: build-id, SHA-256, size")
struct BinaryIdentityTests {
    static func temporaryCopy(of path: String, transform: (inout Data) -> Void = { _ in }) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        transform(&bytes)
        let copy = directory + "/program"
        try bytes.write(to: URL(fileURLWithPath: copy))
        return copy
    }

    @Test("/bin/bash read by the endpoint is what readelf -n, sha256sum and stat say")
    func bashAgreesWithTheTools() throws {
        let identity = try BinaryIdentity.read(BinaryFile(path: "/bin/bash"))
        let facts = BinaryFacts.bash
        #expect(facts.buildId != nil, "this machine's bash has a build-id")
        #expect(identity == BinaryIdentity(buildId: facts.buildId, sha256: facts.sha256, size: facts.size))
    }

    @Test("A binary without a build-id note has none, and its SHA-256 is still sha256sum's")
    func noBuildID() throws {
        let copy = try Self.temporaryCopy(of: "/bin/bash")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path) }
        let (status, output) = try runCommand("/usr/bin/objcopy", ["--remove-section", ".note.gnu.build-id", copy])
        #expect(status == 0, "\(output)")
        let identity = try BinaryIdentity.read(BinaryFile(path: copy))
        let facts = try BinaryFacts(of: copy)
        #expect(facts.buildId == nil)
        #expect(identity == BinaryIdentity(buildId: nil, sha256: facts.sha256, size: facts.size))
    }

    @Test("The cache reads a file once per version: the same file is not hashed again, a rewritten one is")
    func cachedPerVersion() throws {
        let copy = try Self.temporaryCopy(of: "/bin/bash")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path) }
        let cache = BinaryIdentityCache(capacity: 2)
        let first = try cache.identity(ofBinaryAt: copy)
        #expect(try cache.identity(ofBinaryAt: copy) == first)
        #expect(cache.count == 1)
        let handle = try #require(FileHandle(forWritingAtPath: copy))
        try handle.seekToEnd()
        handle.write(Data([0]))
        try handle.close()
        let rewritten = try cache.identity(ofBinaryAt: copy)
        #expect(rewritten.sha256 == (try BinaryFacts(of: copy)).sha256)
        #expect(rewritten.sha256 != first.sha256 && rewritten.size == first.size + 1 && rewritten.buildId == first.buildId)
        #expect(cache.count == 2)
        _ = try cache.identity(ofBinaryAt: "/bin/bash")
        #expect(cache.count == 2, "bounded: the oldest entry went")
    }

    @Test("A pin matches only the build it names")
    func pins() throws {
        let bash = BinaryIdentity(buildId: "ab01", sha256: String(repeating: "c", count: 64), size: 1)
        func pin(_ buildId: String?, _ sha256: String?) -> BinaryPin? {
            BinaryPin(TraceTemplate(process: "/bin/bash", functions: ["f"], traceType: ["BPF"], buildId: buildId, sha256: sha256))
        }
        #expect(pin(nil, nil) == nil)
        #expect(pin("ab01", nil)?.matches(bash) == true)
        #expect(pin("ab02", nil)?.matches(bash) == false)
        #expect(pin(nil, String(repeating: "c", count: 64))?.matches(bash) == true)
        #expect(pin("ab01", String(repeating: "d", count: 64))?.matches(bash) == false)
        #expect(pin("ab01", nil)?.matches(BinaryIdentity(buildId: nil, sha256: bash.sha256, size: 1)) == false)
    }

    @Test(
        "Pins must be lowercase hex of the right length; the error names the field",
        arguments: [
            ("buildId", "AB01"), ("buildId", "a"), ("buildId", "abc"), ("buildId", ""), ("buildId", String(repeating: "a", count: 130)),
            ("buildId", "zz"), ("sha256", String(repeating: "a", count: 63)), ("sha256", String(repeating: "A", count: 64)),
            ("sha256", String(repeating: "g", count: 64)), ("sha256", ""),
        ]
    )
    func pinFormats(field: String, value: String) {
        let template = TraceTemplate(
            process: "/bin/bash",
            functions: ["xmalloc"],
            traceType: ["BPF"],
            buildId: field == "buildId" ? value : nil,
            sha256: field == "sha256" ? value : nil
        )
        #expect {
            try TemplateValidator().validate(template)
        } throws: { error in
            (error as? TemplateValidationError)?.field == field
        }
    }
}
