import Foundation
import Synchronization

/// A TCP proxy in front of the receiver that a test switches between a working platform
/// and broken ones, on a port that stays the same:
/// - `.forward`: bytes pass both ways;
/// - `.refuse`: nothing listens (connection refused) and open connections are cut;
/// - `.closeWithoutAnswer`: connections are accepted and closed without a byte back;
/// - `.answer(head)`: every request is read whole and answered with `head` (a status line
///   and headers, e.g. a redirect), then the connection is closed.
final class PlatformProxy: @unchecked Sendable {
    enum Mode: Equatable {
        case forward, refuse, closeWithoutAnswer
        case answer(String)
    }

    let port: Int
    let target: Int
    private let lock = NSLock()
    private var mode = Mode.forward
    private var listener: Int32 = -1
    private var open: Set<Int32> = []
    private var running = true

    init(target: Int) throws {
        self.target = target
        let probe = try Self.listen(port: 0)
        self.port = Self.localPort(probe)
        self.listener = probe
        startAccepting()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func set(_ newMode: Mode) {
        lock.lock()
        defer { lock.unlock() }
        mode = newMode
        if newMode == .refuse {
            if listener >= 0 { close(listener) }
            listener = -1
            for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        } else if listener < 0 {
            // A failure here shows as a platform that never comes back.
            listener = (try? Self.listen(port: port)) ?? -1
        }
    }

    func stop() {
        set(.refuse)
        lock.lock()
        running = false
        lock.unlock()
    }

    private func startAccepting() {
        Thread { [self] in
            while true {
                lock.lock()
                let (fd, alive) = (listener, running)
                lock.unlock()
                guard alive else { return }
                guard fd >= 0 else {
                    // Refusing: no listener until `set(.forward)` opens one; looked for every 20 ms.
                    usleep(20_000)
                    continue
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let client = accept(fd, nil, nil)
                guard client >= 0 else { continue }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                lock.lock()
                let currentMode = mode
                lock.unlock()
                if case .answer(let head) = currentMode {
                    Thread { Self.answerOneRequest(client, head: head) }.start()
                    continue
                }
                if currentMode != .forward {
                    close(client)
                    continue
                }
                guard let upstream = Self.connect(port: target) else {
                    close(client)
                    continue
                }
                lock.lock()
                open.formUnion([client, upstream])
                lock.unlock()
                pump(from: client, to: upstream)
                pump(from: upstream, to: client)
            }
        }.start()
    }

    private func pump(from source: Int32, to destination: Int32) {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(source, &buffer, buffer.count, 0)
                if count <= 0 { break }
                if send(destination, buffer, count, Int32(MSG_NOSIGNAL)) <= 0 { break }
            }
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            lock.lock()
            // The second pump of the pair closes both descriptors.
            if open.remove(source) == nil { close(source) }
            if open.remove(destination) == nil { close(destination) }
            lock.unlock()
        }.start()
    }

    /// Reads one request (head, then `Content-Length` bytes of body) and answers `head`.
    static func answerOneRequest(_ client: Int32, head: String) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var bodyEnd: Int?
        while bodyEnd.map({ received.count < $0 }) ?? true {
            let count = recv(client, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
            if bodyEnd == nil, let headEnd = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let headText = String(decoding: received[..<headEnd.lowerBound], as: UTF8.self).lowercased()
                let length =
                    headText.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                bodyEnd = headEnd.upperBound + length
            }
        }
        let answer = Array((head + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").utf8)
        _ = send(client, answer, answer.count, Int32(MSG_NOSIGNAL))
        shutdown(client, Int32(SHUT_RDWR))
        close(client)
    }

    static func listen(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        // Not inherited by the endpoint the test spawns: a copy there would keep the
        // port listening after `.refuse` closes it here.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 128) == 0 else {
            close(fd)
            throw NSError(domain: "PlatformProxy", code: Int(errno))
        }
        return fd
    }

    static func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}
