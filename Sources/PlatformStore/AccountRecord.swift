/// One row of `accounts`: a person or script signing in to the operator API.
public struct AccountRecord: Codable, Sendable, Equatable {
    public var name: String
    /// `viewer`, `operator` or `admin`.
    public var role: String
    /// argon2id, encoded (`$argon2id$v=19$...`).
    public var passwordHash: String
    public var created: Int64
}
