#if canImport(Glibc)
import Glibc
#endif

/// Who may read or change `lambda-settings.yml`, checked before the daemon starts.
///
/// The file holds the secret (anyone who reads it can drive the endpoint, and so start
/// tracers as root) and maybe the sudo password, and it names the tracer binaries the
/// endpoint runs as root (anyone who can change it can run anything as root). So:
/// refused when other users can read it, when group or others can write it, or when it
/// belongs to someone other than root or the endpoint's own user; a warning when its
/// group can read it (a config-management group is a common, deliberate setup).
public enum SettingsFileAccess: Equatable, Sendable {
    case fine
    case warning(String)
    case refused(String)

    public static func check(path: String, endpointUID: uid_t = geteuid()) -> SettingsFileAccess {
        var info = stat()
        guard stat(path, &info) == 0 else { return .refused("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        let mode = info.st_mode & 0o777
        let octal = "0" + String(mode, radix: 8)
        let fix = "chmod 600 \(path)"
        if info.st_uid != 0 && info.st_uid != endpointUID {
            return .refused("\(path) belongs to uid \(info.st_uid), neither root nor this endpoint's user (uid \(endpointUID)); it names the programs run as root. chown it")
        }
        if mode & 0o022 != 0 {
            return .refused("\(path) is writable by \(mode & 0o002 != 0 ? "every user" : "its group") (mode \(octal)); it names the programs run as root. \(fix)")
        }
        if mode & 0o004 != 0 {
            return .refused("\(path) is readable by every user (mode \(octal)); it holds the secret. \(fix)")
        }
        if mode & 0o040 != 0 {
            return .warning("\(path) is readable by its group (mode \(octal)); it holds the secret")
        }
        return .fine
    }
}
