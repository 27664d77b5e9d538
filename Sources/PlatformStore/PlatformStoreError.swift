/// Why the platform's database could not be used at all (at start: one line, then exit).
public enum PlatformStoreError: Error, CustomStringConvertible {
    case cannotOpen(String)
    /// The file's schema is newer than this program knows (a downgrade).
    case schemaTooNew(found: Int, known: Int)
    /// The database cannot be reached now (PostgreSQL down, restarting, or no connection
    /// within the lease timeout): the request is answered 503 with `Retry-After`, and
    /// nothing of it was committed. The text names no password and no query.
    case unavailable(String)

    public var description: String {
        switch self {
        case .cannotOpen(let text): return "database: \(text)"
        case .unavailable(let text): return "database unavailable: \(text)"
        case let .schemaTooNew(found, known):
            return "database: its schema is version \(found), this lambda-platform knows up to \(known) (a newer program wrote it)"
        }
    }
}
