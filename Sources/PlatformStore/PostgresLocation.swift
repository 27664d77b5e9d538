import Foundation

/// platform.yml's `database: postgres://USER@HOST:PORT/DATABASE[?sslmode=MODE]`, parsed.
/// The password never comes from the URL (a URL is logged, shown by `/metrics`' summary
/// and pasted into tickets): it is read from `database-password-file` or `PGPASSWORD`.
public struct PostgresLocation: Sendable, Equatable {
    /// libpq's names: `disable` (plain TCP), `prefer` (TLS when the server offers it;
    /// the default), `require` (TLS or no connection; the certificate is not checked, as
    /// libpq), `verify-full` (TLS with the server's certificate checked against the
    /// system's trust roots and the host name).
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// Whether `text` names PostgreSQL rather than a SQLite file.
    public static func names(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(parsing text: String) throws {
        func refuse(_ why: String) -> PlatformStoreError {
            .cannotOpen("expected postgres://USER@HOST:PORT/DATABASE[?sslmode=disable|prefer|require|verify-full]: \(why)")
        }
        guard Self.names(text), let url = URLComponents(string: text) else { throw refuse("not such a URL") }
        guard url.password == nil else {
            throw refuse("a password in the URL is refused; put it in database-password-file (mode 0600) or PGPASSWORD")
        }
        guard let user = url.user, !user.isEmpty else { throw refuse("no USER") }
        guard let host = url.host, !host.isEmpty else { throw refuse("no HOST") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw refuse("no DATABASE") }
        if let port = url.port, !(1...65535).contains(port) { throw refuse("PORT: 1-65535") }
        var tls = TLSMode.prefer
        let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode" else { throw refuse("unknown parameter \(item.name)") }
            guard let value = item.value, !value.isEmpty else { throw refuse("sslmode: no value; one of \(modes)") }
            guard let mode = TLSMode(rawValue: value) else { throw refuse("sslmode: \(value) is not one of \(modes)") }
            tls = mode
        }
        self.user = user.removingPercentEncoding ?? user
        self.host = host
        self.port = url.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The URL again, for logs (it never held a password).
    public var summary: String { "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }
}
