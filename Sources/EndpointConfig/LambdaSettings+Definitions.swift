import Credentials
import PlatformWire
import TraceModel

extension LambdaSettings {
    /// The keys of `lambda-settings.yml` but the `auth-*` ones (`AuthSettings.definitions`).
    public static let definitions = Definitions()

    /// Every key of `lambda-settings.yml`: what the unknown-key check knows and what
    /// `Config/lambda-settings.yml` must document.
    public static var fileDefinitions: [SettingDefinition] { definitions.all + AuthSettings.definitions.all }

    /// Each key's name, default, bounds and meaning, written once; in the file's order.
    public struct Definitions: SettingTable {
        public let rootPassword = Setting.optionalText(
            "root-password",
            secret: true,
            "Password given to sudo -S; unset when sudo needs none or the endpoint runs as root."
        )
        public let bpfPath = Setting.absolutePath("bpf-path", default: "/usr/bin/bpftrace", "The bpftrace binary, run as root.")
        public let stapPath = Setting.absolutePath("stap-path", default: "/usr/bin/stap", "The SystemTap binary, run as root.")
        public let submitChunkSize = Setting.wholeNumber(
            "submit-chunk-size",
            default: 51200,
            range: 1024...16_777_216,
            unit: "bytes",
            "Raw bytes of tracer output per chunk sent to /submit."
        )
        public let platformURL = RequiredSetting("platform-url", "Base URL of the platform: http:// or https://, no credentials.")
        public let platformCAFile = Setting.optionalText(
            "platform-ca-file",
            "Trust roots (PEM, absolute path) for an https:// platform-url; unset: the system's."
        )
        public let secret = RequiredSetting("secret", secret: true, "Shared secret hashed (argon2) into every Authorization header.")
        public let endpointUUID = RequiredSetting("endpoint-uuid", "This endpoint's identity, a UUID: the start of every Authorization header.")
        public let traceDirectory = Setting.absolutePath("trace-dir", default: "/tmp", "Existing, writable directory of the run files.")
        public let tracefsPath = Setting.absolutePath(
            "tracefs-path",
            default: "/sys/kernel/tracing",
            "Where tracefs is mounted: analyses are available when their tracepoints are in its events/."
        )
        public let maxLastingSeconds = Setting.wholeNumber(
            "max-lasting",
            default: 86400,
            range: 1...31_536_000,
            unit: "seconds",
            "Longest `lasting` a trace start may ask for."
        )
        public let logLevel = Setting.text("log-level", default: "info", "trace, debug, info, notice, warning, error or critical.")
        public let maxConcurrentRuns = Setting.wholeNumber(
            "max-concurrent-runs",
            default: 16,
            range: 1...1000,
            "Tracers running at once; a start beyond it is answered 429."
        )
        public let maxUndeliveredRuns = Setting.wholeNumber(
            "max-undelivered-runs",
            default: 64,
            range: 1...10_000,
            "Exited runs whose output the platform has not taken; beyond it a start is 503."
        )
        public let maxTemplates = Setting.wholeNumber(
            "max-templates",
            default: 1000,
            range: 1...1_000_000,
            "Templates stored; a PUT /trace beyond it is answered 409."
        )
        public let maxFunctionsPerTemplate = Setting.wholeNumber(
            "max-functions-per-template",
            default: 128,
            range: 1...TemplateValidator.maxFunctionsLimit,
            "Functions one template may list."
        )
        // The default, 1 MiB, holds the largest template the rules allow (1024 functions of
        // 512 bytes); bodies are collected in memory before decoding, hence 64 MiB at most.
        public let maxBodyBytes = Setting.wholeNumber(
            "max-body-bytes",
            default: 1 << 20,
            range: 1024...(64 << 20),
            unit: "bytes",
            "Largest request body read; a larger one is answered 413."
        )
        public let metricsOpen = Setting.flag("metrics-open", default: false, "Serve GET /metrics without the Authorization header.")
        public let requireSignedRequests = Setting.flag(
            "require-signed-requests",
            default: false,
            "Refuse (401) a request without a Lambda-Signature; one present is always verified."
        )
        public let killGraceSeconds = Setting.wholeNumber(
            "kill-grace-seconds",
            default: 5,
            range: 1...60,
            unit: "seconds",
            "Pause between SIGINT, SIGTERM and SIGKILL when a run is stopped (plus 0.25 s a probe after SIGINT, for bpftrace to detach them)."
        )
        public let shutdownGraceSeconds = Setting.wholeNumber(
            "shutdown-grace-seconds",
            default: 10,
            range: 0...600,
            unit: "seconds",
            "How long a SIGTERM'd endpoint keeps delivering before it exits."
        )
        public let submitFlushInterval = Setting.secondsInMilliseconds(
            "submit-flush-interval",
            default: 0,
            range: 50...3_600_000,
            "Send a partial chunk after this long without a full one; 0: never."
        )
        public let submitRetryInitial = Setting.secondsInMilliseconds(
            "submit-retry-initial",
            default: 500,
            range: 10...60_000,
            "First pause before a failed submit message is sent again."
        )
        public let submitRetryMaximum = Setting.secondsInMilliseconds(
            "submit-retry-max",
            default: 30_000,
            range: 10...3_600_000,
            "Longest pause between retries (the pause doubles up to it)."
        )
        public let maxSpoolBytes = Setting.wholeNumber(
            "max-spool-bytes",
            default: 1 << 30,
            range: (1 << 20)...(1 << 40),
            unit: "bytes",
            "Undelivered output kept on disk before a run is stopped."
        )
        public let bpfMapKeysMax = Setting.wholeNumber(
            "bpf-map-keys-max",
            default: TracerLimits.bpftraceDefaults.mapKeysMax,
            range: 1...65536,
            unit: "keys",
            "BPFTRACE_MAP_KEYS_MAX of every bpftrace run (a template's own value wins)."
        )
        public let bpfMaxProbes = Setting.wholeNumber(
            "bpf-max-probes",
            default: TracerLimits.bpftraceDefaults.maxProbes,
            range: 1...4096,
            unit: "probes",
            "BPFTRACE_MAX_PROBES of every bpftrace run (a template's own value wins)."
        )
        public let bpfStringLength = Setting.wholeNumber(
            "bpf-strlen",
            default: TracerLimits.bpftraceDefaults.stringLength,
            range: 1...200,
            unit: "bytes",
            "BPFTRACE_STRLEN of every bpftrace run (a template's own value wins)."
        )
        public let control = Setting.control(
            "control",
            default: .push,
            "push (the platform calls the endpoint), pull (the endpoint polls the platform for tasks) or both."
        )
        public let labels = Setting.labels("labels", "Names and values describing this host, sent when it registers (pull, both).")
        public let registerIntervalSeconds = Setting.wholeNumber(
            "register-interval",
            default: 60,
            range: 5...86400,
            unit: "seconds",
            "Seconds between two registrations with the platform (pull, both)."
        )
        public let pollWaitSeconds = Setting.wholeNumber(
            "poll-wait",
            default: 26,
            range: 1...26,
            unit: "seconds",
            "The longest a poll for tasks waits for the platform's answer (its wait parameter)."
        )
        public let taskResultsMaxBytes = Setting.wholeNumber(
            "task-results-max-bytes",
            default: Int(TaskRecordBounds.defaultMaxBytes),
            range: 65536...(1 << 30),
            unit: "bytes",
            "Bytes of task results kept (pull, both): acknowledged ones give way; when unacknowledged ones fill it, new tasks are answered 503."
        )
        public let taskResultNotFoundLimit = Setting.wholeNumber(
            "task-result-404-limit",
            default: 20,
            range: 1...1000,
            unit: "answers",
            "404 answers to one task result after which it is dropped (pull, both); 400, 413 and 422 drop it at once."
        )
        public let maxPendingEvents = Setting.wholeNumber(
            "max-pending-events",
            default: 10_000,
            range: 100...1_000_000,
            unit: "events",
            "Events (POST <platform-url>/events) kept until the platform acknowledges them; beyond, the oldest are dropped and the drop is an event itself."
        )
        public let maxEventsPerSecond = Setting.wholeNumber(
            "max-events-per-second",
            default: 10_000,
            range: 1...100_000_000,
            unit: "events a second",
            "Probe fires a second above which a bpftrace run stops itself (rate-limit-seconds); a start may ask for less."
        )
        public let rateLimitSeconds = Setting.wholeNumber(
            "rate-limit-seconds",
            default: 5,
            range: 1...EventRateBound.maxWindowSeconds,
            unit: "seconds",
            "Seconds above max-events-per-second, within the last rate-limit-window-seconds, that stop a run (at most the window)."
        )
        public let rateLimitWindowSeconds = Setting.wholeNumber(
            "rate-limit-window-seconds",
            default: 10,
            range: 1...EventRateBound.maxWindowSeconds,
            unit: "seconds",
            "How many of the last seconds the rate bound looks at: rate-limit-seconds of them above the rate stop a run."
        )
        public let tracerCPUPercent = Setting.wholeNumber(
            "tracer-cpu-percent",
            default: 100,
            range: 1...6400,
            unit: "percent of one core",
            "CPU cap of each tracer's own cgroup (as root; through sudo the caps are reported as not applied)."
        )
        public let tracerMemoryMiB = Setting.wholeNumber(
            "tracer-memory-mib",
            default: 1024,
            range: 16...1_048_576,
            unit: "MiB",
            "Memory cap of each tracer's own cgroup (as root; through sudo the caps are reported as not applied)."
        )
        public let keepRunFiles = Setting.flag("keep-run-files", default: false, "Keep a run's file after the platform acknowledged its finished.")
        public let resumeRuns = Setting.flag(
            "resume-runs",
            default: true,
            "Relaunch, at the next start, a run whose lasting had time left when the endpoint stopped."
        )
        public let maxRunResumes = Setting.wholeNumber(
            "max-run-resumes",
            default: 10,
            range: 0...1000,
            "Relaunches one run may have; past it the run finishes (code -1) instead."
        )
        public let procRoot = Setting.absolutePath(
            "proc-root",
            default: "/proc",
            "The host's procfs: <pid>/cgroup of every process and mounts, read by GET /containers."
        )
        public let cgroupV2Mount = Setting.optionalAbsolutePath(
            "cgroup-v2-mount",
            "Where cgroup v2 is mounted; unset: the cgroup2 line of <proc-root>/mounts."
        )
        public let containerLogDirectory = Setting.absolutePath(
            "container-log-dir",
            default: "/var/log/containers",
            "The kubelet's <pod>_<namespace>_<container>-<id>.log links: pod and container names."
        )
        public let dockerDataRoot = Setting.absolutePath(
            "docker-data-root",
            default: "/var/lib/docker",
            "Docker's data root: containers/<id>/config.v2.json names Docker's containers."
        )
        public let maxTargetsPerRun = Setting.wholeNumber(
            "max-targets-per-run",
            default: 64,
            range: 1...1024,
            "Containers (or other targets) one start's target may match; more is answered 400."
        )
    }
}
