import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to a port of 127.0.0.1 the kernel picked, for tests that need a
/// free port or a listener of their own. Closed with `close()`.
public struct LoopbackSocket {
    public let descriptor: Int32
    public let port: Int

    /// Binds to 127.0.0.1:0 (and listens, when asked) and reads the port back.
    public init(listening: Bool) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && (!listening || listen(descriptor, 8) == 0) && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, bound else {
            Glibc.close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRNOTAVAIL)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects a new socket to this one's port; the connected descriptor.
    public func connect() throws -> Int32 {
        guard let client = Self.connected(to: port) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED) }
        return client
    }

    /// Whether something accepts a connection on 127.0.0.1:`port` now.
    public static func accepts(port: Int) -> Bool {
        guard let client = connected(to: port) else { return false }
        Glibc.close(client)
        return true
    }

    /// A new socket connected to 127.0.0.1:`port`, or nil (errno says why).
    private static func connected(to port: Int) -> Int32? {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let reason = errno
            Glibc.close(client)
            errno = reason
            return nil
        }
        return client
    }

    public func close() {
        Glibc.close(descriptor)
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
