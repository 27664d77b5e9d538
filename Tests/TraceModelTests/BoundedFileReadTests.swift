import Foundation
import Testing
import TraceModel

@Suite("BoundedFileRead: at most N bytes, never a FIFO")
struct BoundedFileReadTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)").path
    }

    @Test("A file of exactly the bound is read; one byte more is too large; a missing file is ENOENT")
    func bound() throws {
        let path = Self.temporaryPath()
        defer { unlink(path) }
        try Data(repeating: 65, count: 100).write(to: URL(fileURLWithPath: path))
        #expect(BoundedFileRead.bytes(at: path, maxBytes: 100) == .success([UInt8](repeating: 65, count: 100)))
        #expect(BoundedFileRead.bytes(at: path, maxBytes: 99) == .failure(.tooLarge))
        #expect(BoundedFileRead.bytes(at: path + "-missing", maxBytes: 10) == .failure(.failed(errno: ENOENT)))
    }

    @Test("A procfs file (size 0) is read to its end")
    func procfs() throws {
        let text = try BoundedFileRead.text(at: "/proc/self/cgroup", maxBytes: 1 << 16).get()
        #expect(text.contains("0::"))
    }

    @Test("A FIFO and a directory are refused without blocking")
    func notRegular() throws {
        let path = Self.temporaryPath()
        defer { unlink(path) }
        #expect(mkfifo(path, 0o600) == 0)
        #expect(BoundedFileRead.bytes(at: path, maxBytes: 10) == .failure(.notRegularFile))
        #expect(BoundedFileRead.bytes(at: "/tmp", maxBytes: 10) == .failure(.notRegularFile))
    }
}
