import EndpointTestSupport
import Testing

/// Every way a configuration can be wrong, one case each: what `ConfigTests.badValue`
/// loads and the one line it must answer (a table of its own: it is most of the suite).
extension ConfigTests {
    struct BadCase: CustomTestStringConvertible, Sendable {
        let name: String
        let settings: [String: String?]
        let lambda: [String: String?]
        let inLambdaFile: Bool
        let key: String?
        let problem: String
        var testDescription: String { name }

        init(_ name: String, settings: [String: String?] = [:], lambda: [String: String?] = [:], key: String?, problem: String) {
            self.name = name
            self.settings = settings
            self.lambda = lambda
            self.inLambdaFile = settings.isEmpty
            self.key = key
            self.problem = problem
        }
    }

    static let badCases: [BadCase] = [
        BadCase("port not a number", settings: ["port": "abc"], key: "port", problem: "expected a whole number, got \"abc\""),
        BadCase("port out of range", settings: ["port": "70000"], key: "port", problem: "must be between 0 and 65535, got 70000"),
        BadCase(
            "tls-key without tls-certificate",
            settings: ["tls-key": "/etc/hostname"],
            key: "tls-certificate",
            problem: "is required when tls-key is set (both or neither)"
        ),
        BadCase(
            "tls-certificate without tls-key",
            settings: ["tls-certificate": "/etc/hostname"],
            key: "tls-key",
            problem: "is required when tls-certificate is set (both or neither)"
        ),
        BadCase(
            "tls-key unreadable",
            settings: ["tls-certificate": "/etc/hostname", "tls-key": "/nonexistent/key.pem"],
            key: "tls-key",
            problem: "/nonexistent/key.pem is not a readable file"
        ),
        BadCase(
            "platform-ca-file with http",
            lambda: ["platform-ca-file": "/etc/hostname"],
            key: "platform-ca-file",
            problem: "is only used with an https:// platform-url"
        ),
        BadCase(
            "platform-ca-file missing",
            lambda: ["platform-ca-file": "/nonexistent/ca.pem", "platform-url": "https://platform.example"],
            key: "platform-ca-file",
            problem: "\"/nonexistent/ca.pem\" is not a readable file (an absolute path is required)"
        ),
        BadCase("port a list", settings: ["port": "[1, 2]"], key: "port", problem: "expected a single value, got a list"),
        BadCase(
            "host with a space",
            settings: ["host": "'a b'"],
            key: "host",
            problem: "expected an address, a host name or one of *4, *6, *; got \"a b\""
        ),
        BadCase("database not a mapping", settings: ["database": "lambda.sqlite3"], key: "database", problem: "must be a mapping"),
        BadCase(
            "poolsize zero",
            settings: ["database": "{database: x.sqlite3, poolsize: 0}"],
            key: "database.poolsize",
            problem: "must be between 1 and 64, got 0"
        ),
        BadCase("max-connections zero", settings: ["max-connections": "0"], key: "max-connections", problem: "must be between 1 and 1048576, got 0"),
        BadCase(
            "idle-timeout-seconds too long",
            settings: ["idle-timeout-seconds": "3601"],
            key: "idle-timeout-seconds",
            problem: "must be between 1 and 3600 seconds, got 3601"
        ),
        BadCase(
            "request-read-timeout-seconds not a number",
            settings: ["request-read-timeout-seconds": "soon"],
            key: "request-read-timeout-seconds",
            problem: "expected a whole number, got \"soon\""
        ),
        BadCase(
            "request-read-timeout-seconds zero",
            settings: ["request-read-timeout-seconds": "0"],
            key: "request-read-timeout-seconds",
            problem: "must be between 1 and 3600 seconds, got 0"
        ),
        BadCase(
            "required env missing",
            settings: ["port": "_env:LAMBDA_TEST_UNSET_PORT"],
            key: "port",
            problem: "environment variable LAMBDA_TEST_UNSET_PORT is not set and no default is given"
        ),
        BadCase(
            "bad env name",
            settings: ["port": "'_env:1BAD:3000'"],
            key: "port",
            problem: "'_env:' must be followed by an environment variable name (letters, digits, '_')"
        ),
        BadCase("secret missing", lambda: ["secret": nil], key: "secret", problem: "is required and missing or empty"),
        BadCase("secret empty", lambda: ["secret": "''"], key: "secret", problem: "is required and missing or empty"),
        BadCase("secret a mapping", lambda: ["secret": "{a: b}"], key: "secret", problem: "expected a single value, got a mapping"),
        BadCase("endpoint-uuid missing", lambda: ["endpoint-uuid": nil], key: "endpoint-uuid", problem: "is required and missing or empty"),
        BadCase(
            "endpoint-uuid not a uuid",
            lambda: ["endpoint-uuid": "host-42"],
            key: "endpoint-uuid",
            problem: "expected a UUID such as 4633d686-f75d-4d1f-8415-02ce37d9e5f8, got \"host-42\""
        ),
        BadCase("platform-url missing", lambda: ["platform-url": nil], key: "platform-url", problem: "is required and missing or empty"),
        BadCase(
            "platform-url not http",
            lambda: ["platform-url": "ftp://x"],
            key: "platform-url",
            problem: "expected an http:// or https:// URL with a host (the value is not repeated here: it may hold credentials)"
        ),
        BadCase(
            "platform-url not http, with credentials that must not be echoed",
            lambda: ["platform-url": "ftp://admin:hunter2@platform"],
            key: "platform-url",
            problem: "expected an http:// or https:// URL with a host (the value is not repeated here: it may hold credentials)"
        ),
        BadCase(
            "platform-url with credentials",
            lambda: ["platform-url": "http://u:p@x"],
            key: "platform-url",
            problem: "must not contain a user name or password"
        ),
        BadCase(
            "platform-url with a token in its query",
            lambda: ["platform-url": "'http://x/?token=hunter2'"],
            key: "platform-url",
            problem: "must not contain a query or fragment (the value is not repeated here: it may hold credentials)"
        ),
        BadCase(
            "chunk size not a number",
            lambda: ["submit-chunk-size": "big"],
            key: "submit-chunk-size",
            problem: "expected a whole number, got \"big\""
        ),
        BadCase(
            "chunk size too small",
            lambda: ["submit-chunk-size": "10"],
            key: "submit-chunk-size",
            problem: "must be between 1024 and 16777216 bytes, got 10"
        ),
        BadCase(
            "chunk size negative",
            lambda: ["submit-chunk-size": "-5"],
            key: "submit-chunk-size",
            problem: "must be between 1024 and 16777216 bytes, got -5"
        ),
        BadCase("bpf-path relative", lambda: ["bpf-path": "bpftrace"], key: "bpf-path", problem: "must be an absolute path, got \"bpftrace\""),
        BadCase("stap-path relative", lambda: ["stap-path": "bin/stap"], key: "stap-path", problem: "must be an absolute path, got \"bin/stap\""),
        BadCase("trace-dir relative", lambda: ["trace-dir": "tmp"], key: "trace-dir", problem: "must be an absolute path, got \"tmp\""),
        BadCase("proc-root relative", lambda: ["proc-root": "proc"], key: "proc-root", problem: "must be an absolute path, got \"proc\""),
        BadCase(
            "cgroup-v2-mount relative",
            lambda: ["cgroup-v2-mount": "sys/fs/cgroup"],
            key: "cgroup-v2-mount",
            problem: "must be an absolute path, got \"sys/fs/cgroup\""
        ),
        BadCase(
            "trace-dir missing on disk",
            lambda: ["trace-dir": "/nonexistent/lambda"],
            key: "trace-dir",
            problem: "\"/nonexistent/lambda\" is not an existing directory"
        ),
        BadCase(
            "trace-dir a file",
            lambda: ["trace-dir": "/etc/hostname"],
            key: "trace-dir",
            problem: "\"/etc/hostname\" is not an existing directory"
        ),
        BadCase("max-lasting zero", lambda: ["max-lasting": "0"], key: "max-lasting", problem: "must be between 1 and 31536000 seconds, got 0"),
        BadCase(
            "log-level unknown",
            lambda: ["log-level": "loud"],
            key: "log-level",
            problem: "expected one of trace, debug, info, notice, warning, error, critical, got \"loud\""
        ),
        BadCase(
            "max-concurrent-runs zero",
            lambda: ["max-concurrent-runs": "0"],
            key: "max-concurrent-runs",
            problem: "must be between 1 and 1000, got 0"
        ),
        BadCase(
            "max-undelivered-runs zero",
            lambda: ["max-undelivered-runs": "0"],
            key: "max-undelivered-runs",
            problem: "must be between 1 and 10000, got 0"
        ),
        BadCase(
            "max-undelivered-runs too high",
            lambda: ["max-undelivered-runs": "10001"],
            key: "max-undelivered-runs",
            problem: "must be between 1 and 10000, got 10001"
        ),
        BadCase("max-templates zero", lambda: ["max-templates": "0"], key: "max-templates", problem: "must be between 1 and 1000000, got 0"),
        BadCase(
            "max-functions-per-template too high",
            lambda: ["max-functions-per-template": "1025"],
            key: "max-functions-per-template",
            problem: "must be between 1 and 1024, got 1025"
        ),
        BadCase(
            "max-body-bytes too small",
            lambda: ["max-body-bytes": "1023"],
            key: "max-body-bytes",
            problem: "must be between 1024 and 67108864 bytes, got 1023"
        ),
        BadCase(
            "max-body-bytes too large",
            lambda: ["max-body-bytes": "67108865"],
            key: "max-body-bytes",
            problem: "must be between 1024 and 67108864 bytes, got 67108865"
        ),
        BadCase(
            "kill-grace-seconds too long",
            lambda: ["kill-grace-seconds": "61"],
            key: "kill-grace-seconds",
            problem: "must be between 1 and 60 seconds, got 61"
        ),
        BadCase(
            "submit-flush-interval text",
            lambda: ["submit-flush-interval": "soon"],
            key: "submit-flush-interval",
            problem: "expected a number of seconds, got \"soon\""
        ),
        BadCase(
            "submit-flush-interval too short",
            lambda: ["submit-flush-interval": "0.01"],
            key: "submit-flush-interval",
            problem: "must be 0 (off) or between 0.05 and 3600.0 seconds, got 0.01"
        ),
        BadCase(
            "max-spool-bytes too small",
            lambda: ["max-spool-bytes": "1000"],
            key: "max-spool-bytes",
            problem: "must be between 1048576 and 1099511627776 bytes, got 1000"
        ),
        BadCase(
            "keep-run-files not a bool",
            lambda: ["keep-run-files": "maybe"],
            key: "keep-run-files",
            problem: "expected true or false, got \"maybe\""
        ),
        BadCase(
            "retry max below initial",
            lambda: ["submit-retry-initial": "5", "submit-retry-max": "1"],
            key: "submit-retry-max",
            problem: "must be at least submit-retry-initial"
        ),
        BadCase("retry initial off", lambda: ["submit-retry-initial": "0"], key: "submit-retry-initial", problem: "must be more than 0 seconds"),
        BadCase(
            "rate-limit seconds beyond the window",
            lambda: ["rate-limit-seconds": "12"],
            key: "rate-limit-seconds",
            problem: "must be at most rate-limit-window-seconds (10), got 12"
        ),
        BadCase(
            "rate-limit window past 60 s",
            lambda: ["rate-limit-window-seconds": "61"],
            key: "rate-limit-window-seconds",
            problem: "must be between 1 and 60 seconds, got 61"
        ),
        BadCase(
            "auth cache negative",
            lambda: ["auth-cache-size": "-1"],
            key: "auth-cache-size",
            problem: "must be between 0 and 1000000 entries, got -1"
        ),
        BadCase(
            "auth concurrency zero",
            lambda: ["auth-max-concurrent-verifications": "0"],
            key: "auth-max-concurrent-verifications",
            problem: "must be between 1 and 64, got 0"
        ),
        BadCase(
            "auth memory cap too small",
            lambda: ["auth-max-argon2-memory-kib": "4"],
            key: "auth-max-argon2-memory-kib",
            problem: "must be between 8 and 4194304 KiB, got 4"
        ),
        BadCase(
            "auth time cap zero",
            lambda: ["auth-max-argon2-time-cost": "0"],
            key: "auth-max-argon2-time-cost",
            problem: "must be between 1 and 1000, got 0"
        ),
        BadCase(
            "auth parallelism cap too big",
            lambda: ["auth-max-argon2-parallelism": "256"],
            key: "auth-max-argon2-parallelism",
            problem: "must be between 1 and 255, got 256"
        ),
        BadCase("control not a mode", lambda: ["control": "poll"], key: "control", problem: "must be one of push, pull, both, got \"poll\""),
        BadCase(
            "labels not a mapping",
            lambda: ["labels": "role=db"],
            key: "labels",
            problem: "expected a mapping of names to values, got a value"
        ),
        BadCase(
            "label value with a space",
            lambda: ["labels": "{role: 'd b'}"],
            key: "labels",
            problem: "role: 'd b' is not a label value (0 to 63 of letters, digits, '.', '_', '-')"
        ),
        BadCase(
            "label name with a semicolon",
            lambda: ["labels": "{'a;b': x}"],
            key: "labels",
            problem: "'a;b' is not a label name (1 to 63 of letters, digits, '.', '_', '-', '/')"
        ),
        BadCase("poll-wait over 26", lambda: ["poll-wait": "27"], key: "poll-wait", problem: "must be between 1 and 26 seconds, got 27"),
        BadCase(
            "register-interval too short",
            lambda: ["register-interval": "1"],
            key: "register-interval",
            problem: "must be between 5 and 86400 seconds, got 1"
        ),
    ]
}
