import Foundation

/// Which secret each endpoint uuid has: the one endpoint of `--config`, a table from
/// `--endpoints FILE`, or one fleet secret that every uuid shares (`--fleet-secret-file`).
public struct EndpointCredentials: Sendable {
    public enum Source: Sendable {
        case single(uuid: String, secret: String)
        case table([String: String])
        case fleet(secret: String)
        /// platform.yml: the endpoints it declares, and a fleet secret any other uuid may hold.
        case declared([String: String], fleetSecret: String?)
    }

    public let source: Source

    public init(_ source: Source) {
        switch source {
        case let .single(uuid, secret): self.source = .single(uuid: uuid.lowercased(), secret: secret)
        case .table(let table): self.source = .table(Dictionary(table.map { ($0.key.lowercased(), $0.value) }) { first, _ in first })
        case .fleet: self.source = source
        case let .declared(table, fleetSecret):
            self.source = .declared(Dictionary(table.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }, fleetSecret: fleetSecret)
        }
    }

    /// The secret of `uuid`, or nil when this platform does not know the endpoint.
    public func secret(for uuid: String) -> String? {
        let uuid = uuid.lowercased()
        switch source {
        case let .single(known, secret): return uuid == known ? secret : nil
        case .table(let table): return table[uuid]
        case .fleet(let secret): return UUID(uuidString: uuid) == nil ? nil : secret
        case let .declared(table, fleetSecret): return table[uuid] ?? (UUID(uuidString: uuid) == nil ? nil : fleetSecret)
        }
    }

    /// Whether traces are stored in a directory per endpoint: with many endpoints two of
    /// them may send the same trace name.
    public var isFleet: Bool {
        if case .single = source { return false }
        return true
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case readableByOthers(path: String, mode: Int)
        case malformed(path: String, reason: String)

        public var description: String {
            switch self {
            case let .unreadable(path, reason): return "\(path): cannot read it: \(reason)"
            case let .readableByOthers(path, mode):
                return "\(path): holds secrets but is readable by its group or others (mode \(String(mode, radix: 8))); chmod 600 it"
            case let .malformed(path, reason): return "\(path): \(reason)"
            }
        }
    }

    /// `--endpoints FILE`: a JSON object `{"<uuid>": "<secret>", ...}`.
    public static func loadTable(path: String) throws(LoadError) -> EndpointCredentials {
        let data = try readPrivateFile(path)
        guard let table = try? JSONDecoder().decode([String: String].self, from: data) else {
            throw .malformed(path: path, reason: #"expected a JSON object {"<endpoint uuid>": "<secret>", ...}"#)
        }
        for (uuid, secret) in table {
            guard UUID(uuidString: uuid) != nil else { throw .malformed(path: path, reason: "\(uuid): not a uuid") }
            guard !secret.isEmpty else { throw .malformed(path: path, reason: "\(uuid): empty secret") }
        }
        return EndpointCredentials(.table(table))
    }

    /// `--fleet-secret-file FILE`: the secret, one line (a trailing newline is not part of it).
    public static func loadFleetSecret(path: String) throws(LoadError) -> EndpointCredentials {
        let secret = try readPrivateLine(path)
        guard !secret.isEmpty else { throw .malformed(path: path, reason: "the fleet secret is empty") }
        return EndpointCredentials(.fleet(secret: secret))
    }

    /// A private file's one line (`readPrivateFile`), its trailing newline not part of it.
    public static func readPrivateLine(_ path: String) throws(LoadError) -> String {
        var line = String(decoding: try readPrivateFile(path), as: UTF8.self)
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        return line
    }

    /// Secrets in a file others can read are no secrets: refused, like ssh refuses such keys.
    public static func readPrivateFile(_ path: String) throws(LoadError) -> Data {
        let attributes: [FileAttributeKey: Any]
        let data: Data
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else { throw .readableByOthers(path: path, mode: mode) }
        return data
    }
}
