import Crypto
import Foundation
import Synchronization
import TraceModel

extension BinaryIdentity {
    /// Hashed in 1 MiB reads: one buffer whatever the binary. `sha256sum` takes 1.2 s
    /// for 500 MB on this machine (BoringSSL's SHA-256 is of the same order), well
    /// inside the binary-reading deadline (5 s), and once per version of a file
    /// (`BinaryIdentityCache`).
    static let readBytes = 1 << 20

    /// Reads `file` whole (on the caller's thread: it blocks; call it on a pool's).
    public static func read(_ file: BinaryFile) throws(ELFFunctionSymbols.ReadError) -> BinaryIdentity {
        let buildId = try ELFFunctionSymbols(source: file).buildID()
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(readBytes, file.size), alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < file.size {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, file.size - offset)])
            try file.read(into: chunk, at: offset)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(chunk))
            offset += chunk.count
        }
        // Written to while read: the hash would mix two versions (the cache would file it
        // under the first).
        guard file.currentVersion == file.version else { throw .changedWhileReading }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return BinaryIdentity(buildId: buildId, sha256: digest, size: Int64(file.size))
    }
}

/// Identities by file version (device, inode, size, mtime, ctime: `BinaryFile.FileVersion`),
/// so that a binary is hashed once however many templates and starts name it; a replaced
/// or rewritten file is a new version and is read again, also when its owner set its
/// mtime back. Bounded: the oldest entry goes first.
public final class BinaryIdentityCache: Sendable {
    public static let shared = BinaryIdentityCache(capacity: 256)

    private struct State {
        var identities: [BinaryFile.FileVersion: BinaryIdentity] = [:]
        var order: [BinaryFile.FileVersion] = []
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The identity of the file at `path` now (blocks: see `BinaryIdentity.read`).
    public func identity(ofBinaryAt path: String) throws(ELFFunctionSymbols.ReadError) -> BinaryIdentity {
        try identity(of: try BinaryFile(path: path))
    }

    /// The identity of an open file (one found inside a target's root, `PathInRoot`).
    public func identity(of file: BinaryFile) throws(ELFFunctionSymbols.ReadError) -> BinaryIdentity {
        if let known = state.withLock({ $0.identities[file.version] }) { return known }
        let identity = try BinaryIdentity.read(file)
        state.withLock { state in
            guard state.identities.updateValue(identity, forKey: file.version) == nil else { return }
            state.order.append(file.version)
            if state.order.count > capacity { state.identities[state.order.removeFirst()] = nil }
        }
        return identity
    }

    public var count: Int { state.withLock { $0.identities.count } }
}
