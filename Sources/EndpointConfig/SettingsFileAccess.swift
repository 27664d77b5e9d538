#if canImport(Glibc)
import Glibc
#endif

/// Who may read or change the files the daemon trusts, checked before it starts.
///
/// - `lambda-settings.yml` holds the secret (anyone who reads it can drive the endpoint,
///   and so start tracers as root) and maybe the sudo password, and it names the tracer
///   binaries run as root (anyone who can change it can run anything as root).
/// - `settings.yml` holds no secret, but chooses the database and the TLS key.
/// - The database holds the paths of run files that the endpoint reads, sends and
///   removes, and the templates it runs as root; also the tracers' stderr.
///
/// Each is refused when group or others can write it, or when it belongs to someone
/// other than root or the endpoint's own user. `lambda-settings.yml` is also refused when
/// every user can read it and warned about when its group can (a config-management group
/// is a common, deliberate setup); the database is warned about when every user can read it.
public enum SettingsFileAccess: Equatable, Sendable {
    case fine
    case warning(String)
    case refused(String)

    /// What a file holds, which decides the checks and the reasons given.
    public enum Contents: Sendable {
        case lambdaSettings
        case serverSettings
        case database

        var whyNotWritable: String {
            switch self {
            case .lambdaSettings: return "it names the programs run as root"
            case .serverSettings: return "it chooses the database and the TLS key"
            case .database: return "it holds the run files the endpoint reads and removes, and the templates it runs as root"
            }
        }
    }

    public static func check(path: String, contents: Contents = .lambdaSettings, endpointUID: uid_t = geteuid()) -> SettingsFileAccess {
        var info = stat()
        guard stat(path, &info) == 0 else { return .refused("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        let mode = info.st_mode & 0o777
        let octal = "0" + String(mode, radix: 8)
        let fix = "chmod 600 \(path)"
        let why = contents.whyNotWritable
        if info.st_uid != 0 && info.st_uid != endpointUID {
            return .refused("\(path) belongs to uid \(info.st_uid), neither root nor this endpoint's user (uid \(endpointUID)); \(why). chown it")
        }
        if mode & 0o022 != 0 {
            return .refused("\(path) is writable by \(mode & 0o002 != 0 ? "every user" : "its group") (mode \(octal)); \(why). \(fix)")
        }
        switch contents {
        case .lambdaSettings:
            if mode & 0o004 != 0 {
                return .refused("\(path) is readable by every user (mode \(octal)); it holds the secret. \(fix)")
            }
            if mode & 0o040 != 0 {
                return .warning("\(path) is readable by its group (mode \(octal)); it holds the secret")
            }
        case .database:
            if mode & 0o004 != 0 {
                return .warning("\(path) is readable by every user (mode \(octal)); it holds templates and the tracers' stderr")
            }
        case .serverSettings:
            break
        }
        return .fine
    }

    /// The three files of a configuration, in the order `serve` checks them; a database
    /// that does not exist yet is created by the endpoint itself (mode 0600).
    public static func checkAll(configDirectory: String, databasePath: String, endpointUID: uid_t = geteuid()) -> [SettingsFileAccess] {
        var results = [
            check(path: configDirectory + "/" + EndpointConfiguration.lambdaFileName, contents: .lambdaSettings, endpointUID: endpointUID),
            check(path: configDirectory + "/" + EndpointConfiguration.serverFileName, contents: .serverSettings, endpointUID: endpointUID),
        ]
        if access(databasePath, F_OK) == 0 {
            results.append(check(path: databasePath, contents: .database, endpointUID: endpointUID))
        }
        return results
    }
}
