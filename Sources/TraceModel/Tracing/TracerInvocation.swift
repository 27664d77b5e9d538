import Foundation

/// How the endpoint gets root for a tracer.
public enum TracerPrivilege: Equatable, Sendable {
    /// The endpoint is root: run the tracer directly.
    case root
    /// `sudo -n`: a NOPASSWD sudoers rule; fails at once if there is none.
    case sudoWithoutPassword
    /// `sudo -k -S -p ''` with the password on standard input. `-k` makes sudo ask every
    /// time: a remembered credential would leave the password line on the tracer's stdin.
    case sudoWithPassword(String)

    public static func forCurrentUser(rootPassword: String?) -> TracerPrivilege {
        if geteuid() == 0 { return .root }
        if let rootPassword, !rootPassword.isEmpty { return .sudoWithPassword(rootPassword) }
        return .sudoWithoutPassword
    }

    public var name: String {
        switch self {
        case .root: return "root"
        case .sudoWithoutPassword: return "sudo -n"
        case .sudoWithPassword: return "sudo -S"
        }
    }
}

/// The exact argv, environment and standard input of one tracer run. argv arrays only:
/// no shell ever sits between a request and the tracer.
public struct TracerInvocation: Sendable {
    public static let sudoPath = "/usr/bin/sudo"
    /// The tracer's environment starts empty but for these: the endpoint's own
    /// environment (which may hold LAMBDA_SECRET) never reaches it.
    public static let baseEnvironment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]

    public let executable: String
    public let arguments: [String]
    public let environment: [String: String]
    /// Bytes written to the child's stdin before it is closed (the sudo password).
    public let standardInput: [UInt8]

    /// `programFile`: the tracer program, as a file (see `TracerProgramFile`). Not `-e
    /// TEXT`: Linux caps one argument at 128 KiB, and a template the rules accept (1024
    /// functions, long names) makes a program of megabytes; as `-e` its run would end at
    /// once with code 127 ("Argument list too long").
    ///
    /// `limits`: bpftrace's limits for this run (`TracerLimits`, the template's own values
    /// already applied); nil leaves bpftrace's defaults, and SystemTap has none.
    public init(
        template: TraceTemplate,
        tracer: TracerType,
        programFile: String,
        tracerPath: String,
        privilege: TracerPrivilege,
        limits: TracerLimits? = nil
    ) {
        var tracerArguments: [String]
        switch tracer {
        case .bpf: tracerArguments = ["-f", "json"] + template.options + [programFile]
        case .stap: tracerArguments = template.options + [programFile]
        }
        var environment = Self.baseEnvironment
        if tracer == .bpf, let limits { environment.merge(limits.environment) { $1 } }
        // Only variables the allow-list permits for this tracer (validation already
        // required every one of them to be allowed for every tracer of the template).
        let allowed = TracerAllowList.forTracer(tracer).environment
        for (name, value) in zip(template.environment, template.value) where allowed[name] != nil {
            environment[name] = value
        }
        self.environment = environment
        switch privilege {
        case .root:
            self.executable = tracerPath
            self.arguments = tracerArguments
            self.standardInput = []
        case .sudoWithoutPassword:
            self.executable = Self.sudoPath
            self.arguments = ["-n", "--", tracerPath] + tracerArguments
            self.standardInput = []
        case .sudoWithPassword(let password):
            self.executable = Self.sudoPath
            self.arguments = ["-k", "-S", "-p", "", "--", tracerPath] + tracerArguments
            self.standardInput = Array((password + "\n").utf8)
        }
    }
}
