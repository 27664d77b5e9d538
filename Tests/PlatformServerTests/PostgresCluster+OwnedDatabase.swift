import EndpointTestSupport
import Foundation

extension PostgresCluster {
    /// A new role that must give `password` and a new database it owns (so it may make
    /// the platform's tables); the URL naming both, without the password.
    func databaseOwned(byRoleWithPassword password: String, rolePrefix: String) async throws -> String {
        let role = "\(rolePrefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try await createRole(name: role, password: password)
        let owned = try await createDatabase()
        let name = String(owned.split(separator: "/").last!)
        _ = try await psql("ALTER DATABASE \(name) OWNER TO \(role)")
        return url(database: name, user: role)
    }
}
