import Foundation

/// A certificate authority and a server certificate for 127.0.0.1, made with openssl at
/// test time (nothing secret is committed), plus an unrelated CA that must be refused.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var certificateFile: String { directory + "/server.pem" }
    public var keyFile: String { directory + "/server.key" }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let days = ["-days", "2"]
        for (name, subject) in [("ca", "/CN=lambda test CA"), ("other-ca", "/CN=lambda other CA")] {
            try Self.openssl(
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                    "-subj", subject,
                ] + days
            )
        }
        try Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", "\(directory)/server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(directory)/san.ext", atomically: true, encoding: .utf8)
        try Self.openssl(
            [
                "x509", "-req", "-in", "\(directory)/server.csr", "-CA", caFile, "-CAkey", "\(directory)/ca.key", "-CAcreateserial",
                "-out", certificateFile, "-extfile", "\(directory)/san.ext",
            ] + days
        )
        // Readable by the unprivileged test users that run the endpoint.
        chmod(directory, 0o755)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] { chmod("\(directory)/\(file)", 0o644) }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    static func openssl(_ arguments: [String]) throws {
        let process = try SpawnedProcess(executable: "/usr/bin/openssl", arguments: arguments)
        guard process.waitForExit(timeout: 60) == 0 else {
            throw OpenSSLFailed(arguments: arguments, log: process.standardError)
        }
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let log: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(log)" }
    }
}
