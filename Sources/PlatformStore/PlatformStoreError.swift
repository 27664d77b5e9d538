/// Why the platform's database could not be used at all (at start: one line, then exit).
public enum PlatformStoreError: Error, CustomStringConvertible {
    case cannotOpen(String)
    /// The file's schema is newer than this program knows (a downgrade).
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let text): return "database: \(text)"
        case let .schemaTooNew(found, known):
            return "database: its schema is version \(found), this lambda-platform knows up to \(known) (a newer program wrote it)"
        }
    }
}
