import Foundation

/// Telling one process from a later one with the same pid.
public enum ProcessIdentity {
    /// Field 22 of `<procRoot>/PID/stat` (start time in clock ticks after boot), nil when
    /// the process is gone or a zombie.
    public static func startTime(of pid: Int32, procRoot: String = "/proc") -> Int64? {
        guard let text = try? String(contentsOfFile: "\(procRoot)/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // The command name may hold spaces and parentheses: fields resume after the last ')'.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return Int64(fields[19])
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`), nil when unreadable. A start
    /// time counts from boot, so after a reboot a recorded (pid, start time) may name an
    /// unrelated process: the boot id says whether it is the same boot. Read once: it
    /// cannot change while the endpoint runs.
    public static let bootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }()
}
