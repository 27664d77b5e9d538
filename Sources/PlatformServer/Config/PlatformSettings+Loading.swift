import Foundation
import Yams

#if canImport(Glibc)
import Glibc
#endif

extension PlatformSettings {
    /// Reads `DIR/platform.yml`: refused if its group or others can read it (it holds
    /// endpoints' secrets), or if any key is unknown, of the wrong type or out of range.
    public static func load(directory: String) throws(PlatformSettingsError) -> PlatformSettings {
        let path = "\(directory)/platform.yml"
        var info = stat()
        guard stat(path, &info) == 0 else { throw PlatformSettingsError("\(path): cannot read it: \(String(cString: strerror(errno)))") }
        guard info.st_mode & 0o077 == 0 else {
            throw PlatformSettingsError(
                "\(path): holds secrets but its group or others may use it (mode 0\(String(info.st_mode & 0o777, radix: 8))); chmod 600 \(path)"
            )
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw PlatformSettingsError("\(path): not UTF-8 text") }
        var settings = try parse(text, file: path)
        settings.directory = directory
        return settings
    }

    /// The settings in `text` (YAML), `file` naming it in errors.
    public static func parse(_ text: String, file: String = "platform.yml") throws(PlatformSettingsError) -> PlatformSettings {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw PlatformSettingsError("\(file): not YAML: \(String("\(error)".prefix(200)))")
        }
        var settings = PlatformSettings()
        guard let node else { return settings }
        guard let mapping = node.mapping else { throw PlatformSettingsError("\(file): expected a mapping of keys to values") }
        var reader = KeyReader(file: file)
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw PlatformSettingsError("\(file): a key that is not text") }
            switch key {
            case "host": settings.host = try reader.text(key, value)
            case "port": settings.port = try reader.integer(key, value, in: 0...65535)
            case "database": settings.database = try reader.text(key, value)
            case "database-password-file": settings.databasePasswordFile = try reader.text(key, value)
            case "database-pool-size": settings.databasePoolSize = try reader.integer(key, value, in: 4...500)
            case "trusted-proxies": settings.trustedProxies = try reader.addresses(key, value)
            case "endpoints": settings.endpoints = try reader.endpoints(value)
            case "fleet-secret": settings.fleetSecret = try reader.text(key, value)
            case "retention-days": settings.retentionDays = try reader.integer(key, value, in: 1...3650)
            case "retention-bytes": settings.retentionBytes = Int64(try reader.integer(key, value, in: 1_048_576...(1 << 50)))
            case "retention-sweep-seconds": settings.retentionSweepSeconds = try reader.integer(key, value, in: 1...86400)
            case "token-hours": settings.tokenHours = try reader.integer(key, value, in: 1...8760)
            case "tls-certificate": settings.tlsCertificate = try reader.text(key, value)
            case "tls-key": settings.tlsKey = try reader.text(key, value)
            case "max-poll-wait": settings.maxPollWait = try reader.number(key, value, in: 0...26)
            case "follow-idle-seconds": settings.followIdleSeconds = try reader.integer(key, value, in: 1...3600)
            case "max-events": settings.maxEvents = try reader.integer(key, value, in: 100...100_000_000)
            case "max-queued-tasks-per-endpoint": settings.maxQueuedTasksPerEndpoint = try reader.integer(key, value, in: 1...100_000)
            case "max-tasks": settings.maxTasks = try reader.integer(key, value, in: 100...10_000_000)
            case "max-sessions": settings.maxSessions = try reader.integer(key, value, in: 1...100_000)
            case "max-runs": settings.maxRuns = try reader.integer(key, value, in: 100...10_000_000)
            case "max-endpoints": settings.maxEndpoints = try reader.integer(key, value, in: 1...10_000_000)
            case "max-accounts": settings.maxAccounts = try reader.integer(key, value, in: 1...100_000)
            case "otlp-endpoint": settings.otlpEndpoint = try reader.baseURL(key, value)
            case "otlp-batch-records": settings.otlpBatchRecords = try reader.integer(key, value, in: 1...10_000)
            case "otlp-max-queued-records": settings.otlpMaxQueuedRecords = try reader.integer(key, value, in: 100...10_000_000)
            case "otlp-max-queued-bytes": settings.otlpMaxQueuedBytes = try reader.integer(key, value, in: 1_048_576...(1 << 34))
            default: throw PlatformSettingsError("\(file): \(key): not a setting of lambda-platform (see Config/platform.yml)")
            }
        }
        if (settings.tlsCertificate == nil) != (settings.tlsKey == nil) {
            throw PlatformSettingsError("\(file): tls-certificate and tls-key: give both or neither")
        }
        if settings.endpoints.isEmpty && settings.fleetSecret == nil {
            throw PlatformSettingsError("\(file): endpoints or fleet-secret: give at least one, or no endpoint can deliver")
        }
        return settings
    }
}

/// Reads one value of a key, or throws the line naming that key.
private struct KeyReader {
    let file: String

    func text(_ key: String, _ node: Node) throws(PlatformSettingsError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw PlatformSettingsError("\(file): \(key): expected text") }
        return scalar.string
    }

    func integer(_ key: String, _ node: Node, in range: ClosedRange<Int>) throws(PlatformSettingsError) -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string) else {
            throw PlatformSettingsError("\(file): \(key): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        guard range.contains(value) else {
            throw PlatformSettingsError("\(file): \(key): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func number(_ key: String, _ node: Node, in range: ClosedRange<Double>) throws(PlatformSettingsError) -> Double {
        guard let scalar = node.scalar, let value = Double(scalar.string), value.isFinite else {
            throw PlatformSettingsError("\(file): \(key): expected a number from \(range.lowerBound) to \(range.upperBound)")
        }
        guard range.contains(value) else {
            throw PlatformSettingsError("\(file): \(key): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// An http(s) base URL without query or fragment, its trailing `/` dropped.
    func baseURL(_ key: String, _ node: Node) throws(PlatformSettingsError) -> String {
        let url = try text(key, node)
        guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme), parsed.host?.isEmpty == false,
            parsed.query == nil, parsed.fragment == nil
        else { throw PlatformSettingsError("\(file): \(key): expected http(s)://host[:port][/path]") }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// A list of IP addresses as a connection's peer shows them ("127.0.0.1", "::1").
    func addresses(_ key: String, _ node: Node) throws(PlatformSettingsError) -> [String] {
        guard let sequence = node.sequence else { throw PlatformSettingsError("\(file): \(key): expected a list of IP addresses") }
        var addresses: [String] = []
        for item in sequence {
            guard let text = item.scalar?.string, IPAddressText.isValid(text) else {
                throw PlatformSettingsError("\(file): \(key): \(item.scalar?.string ?? "an item") is not an IP address")
            }
            addresses.append(text)
        }
        return addresses
    }

    func labels(_ key: String, _ node: Node) throws(PlatformSettingsError) -> [String: String] {
        guard let mapping = node.mapping else { throw PlatformSettingsError("\(file): \(key): expected a mapping of label names to values") }
        var labels: [String: String] = [:]
        for (name, value) in mapping {
            guard let name = name.string, !name.isEmpty, let value = value.scalar?.string else {
                throw PlatformSettingsError("\(file): \(key): expected name: value pairs")
            }
            labels[name] = value
        }
        return labels
    }

    func endpoints(_ node: Node) throws(PlatformSettingsError) -> [PlatformSettings.DeclaredEndpoint] {
        guard let mapping = node.mapping else {
            throw PlatformSettingsError("\(file): endpoints: expected a mapping of uuid to {secret, url, labels}")
        }
        var declared: [PlatformSettings.DeclaredEndpoint] = []
        for (uuidNode, entry) in mapping {
            guard let uuid = uuidNode.string, UUID(uuidString: uuid) != nil else {
                throw PlatformSettingsError("\(file): endpoints: \(uuidNode.string ?? "a key") is not a uuid")
            }
            let prefix = "endpoints.\(uuid)"
            guard let fields = entry.mapping else { throw PlatformSettingsError("\(file): \(prefix): expected {secret, url, labels}") }
            var endpoint = PlatformSettings.DeclaredEndpoint(uuid: uuid.lowercased(), secret: "", url: nil, labels: nil)
            for (fieldNode, value) in fields {
                switch fieldNode.string {
                case "secret": endpoint.secret = try text("\(prefix).secret", value)
                case "url":
                    let url = try text("\(prefix).url", value)
                    guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme), parsed.host != nil else {
                        throw PlatformSettingsError("\(file): \(prefix).url: expected http(s)://host:port")
                    }
                    endpoint.url = url.hasSuffix("/") ? String(url.dropLast()) : url
                case "labels": endpoint.labels = try labels("\(prefix).labels", value)
                default: throw PlatformSettingsError("\(file): \(prefix).\(fieldNode.string ?? "?"): not a field (secret, url, labels)")
                }
            }
            guard !endpoint.secret.isEmpty else { throw PlatformSettingsError("\(file): \(prefix).secret: missing") }
            declared.append(endpoint)
        }
        return declared.sorted { $0.uuid < $1.uuid }
    }
}
