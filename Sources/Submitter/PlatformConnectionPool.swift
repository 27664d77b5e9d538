import NIOCore
import NIOSSL
import Synchronization

/// The connections to one platform target, kept for the next message. A send takes one
/// (the most recently used: LIFO), or connects when none is idle, and gives it back when
/// the answer leaves it reusable. Idle connections are never more than the most sends
/// that were in flight at once (one per sending run); one the platform closed is
/// dropped when it comes up.
final class PlatformConnectionPool: Sendable {
    let target: PlatformAddress
    let caFile: String?
    private let idle = Mutex<[PlatformConnection]>([])
    /// Made at the first TLS connection (it reads `caFile`) and kept: a context per
    /// connection would parse the trust roots every time. Not kept when it fails, so a
    /// CA file fixed later is read again.
    private let tlsContext = Mutex<NIOSSLContext?>(nil)

    init(target: PlatformAddress, caFile: String?) {
        self.target = target
        self.caFile = caFile
    }

    func take() -> PlatformConnection? {
        idle.withLock { idle in
            while let connection = idle.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
    }

    func giveBack(_ connection: PlatformConnection) {
        idle.withLock { $0.append(connection) }
    }

    /// A new connection; the connect itself may take at most 5 s and never longer than
    /// what is left of the request's deadline.
    func connect(deadline: NIODeadline) async throws -> PlatformConnection {
        let remaining = deadline - .now()
        return try await PlatformConnection.connect(
            to: target,
            tls: target.usesTLS ? try tls() : nil,
            connectTimeout: max(.milliseconds(1), min(.seconds(5), remaining))
        )
    }

    private func tls() throws -> NIOSSLContext {
        try tlsContext.withLock { context in
            if let context { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile { configuration.trustRoots = .file(caFile) }
            let made = try NIOSSLContext(configuration: configuration)
            context = made
            return made
        }
    }
}
