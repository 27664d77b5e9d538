import SQLKit

/// The `Lambda-Signature` nonces accepted, kept in the database when several instances
/// share it (docs/security.md, "Signatures"): each instance checks a request's time and MAC
/// and its own nonce window first, then records the nonce here; a nonce already here (a
/// replay that went to another instance) is refused. Rows older than the window are
/// removed by the retention sweep; until then they are bounded by what the endpoints'
/// secrets can sign (each instance's window takes at most 100,000 nonces per endpoint).
public struct SignatureNonceStore: Sendable {
    /// The signature window (300 s) and a minute's margin for clocks and the sweep's period.
    public static let keptMilliseconds: Int64 = 360_000

    public let database: any PlatformDatabase

    public init(database: any PlatformDatabase) {
        self.database = database
    }

    /// Records `nonce` from `endpoint`; false when it was recorded before (a replay).
    public func accept(_ nonce: String, from endpoint: String, now: Int64 = Clock.milliseconds()) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO signature_nonces (endpoint, nonce, at) VALUES (\(bind: endpoint), \(bind: nonce), \(bind: now))
                ON CONFLICT (endpoint, nonce) DO NOTHING RETURNING nonce
                """
            ).first() != nil
        }
    }
}
