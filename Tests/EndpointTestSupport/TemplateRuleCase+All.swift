import TraceModel

/// Every template rule broken once, each with the exact error it must give: the table
/// both the validator's and `PUT /trace`'s tests run.
extension TemplateRuleCase {
    public static let all: [TemplateRuleCase] =
        [
            // process
            TemplateRuleCase(
                name: "relative process",
                change: { $0.process = "bin/bash" },
                field: "process",
                reason: "must be an absolute path, got 'bin/bash'"
            ),
            TemplateRuleCase(name: "empty process", change: { $0.process = "" }, field: "process", reason: "must not be empty"),
            TemplateRuleCase(
                name: "process with quote",
                change: { $0.process = "/bin/ba\"sh" },
                field: "process",
                reason: "may only contain letters, digits and / . _ - +, got '/bin/ba\"sh'"
            ),
            TemplateRuleCase(
                name: "process with colon",
                change: { $0.process = "/bin/bash:xmalloc" },
                field: "process",
                reason: "may only contain letters, digits and / . _ - +, got '/bin/bash:xmalloc'"
            ),
            TemplateRuleCase(
                name: "process with space",
                change: { $0.process = "/bin/ba sh" },
                field: "process",
                reason: "may only contain letters, digits and / . _ - +, got '/bin/ba sh'"
            ),
            TemplateRuleCase(
                name: "process with newline",
                change: { $0.process = "/bin/bash\n{ system(\"id\") }" },
                field: "process",
                reason: "may only contain letters, digits and / . _ - +, got '/bin/bash\\u000A{ system(\"id\") }'"
            ),
            TemplateRuleCase(
                name: "process with ..",
                change: { $0.process = "/usr/../bin/bash" },
                field: "process",
                reason: "must be a plain path without '.', '..' or '//' components, got '/usr/../bin/bash'"
            ),
            TemplateRuleCase(
                name: "process with //",
                change: { $0.process = "/usr//bin/bash" },
                field: "process",
                reason: "must be a plain path without '.', '..' or '//' components, got '/usr//bin/bash'"
            ),
            TemplateRuleCase(
                name: "process missing",
                change: { $0.process = "/no/such/binary" },
                field: "process",
                reason: "'/no/such/binary' does not exist on this endpoint"
            ),
            TemplateRuleCase(
                name: "process a directory",
                change: { $0.process = "/usr/bin" },
                field: "process",
                reason: "'/usr/bin' is not a regular file"
            ),
            TemplateRuleCase(
                name: "process a device",
                change: { $0.process = "/dev/null" },
                field: "process",
                reason: "'/dev/null' \(kernelInterface)"
            ),
            TemplateRuleCase(
                name: "process /dev/zero",
                change: { $0.process = "/dev/zero" },
                field: "process",
                reason: "'/dev/zero' \(kernelInterface)"
            ),
            TemplateRuleCase(
                name: "process /proc/self/exe",
                change: { $0.process = "/proc/self/exe" },
                field: "process",
                reason: "'/proc/self/exe' \(kernelInterface)"
            ),
            TemplateRuleCase(
                name: "process a /sys file",
                change: { $0.process = "/sys/kernel/notes" },
                field: "process",
                reason: "'/sys/kernel/notes' \(kernelInterface)"
            ),
            TemplateRuleCase(
                name: "process not ELF",
                change: { $0.process = "/etc/passwd" },
                field: "process",
                reason: "'/etc/passwd' is not an ELF binary"
            ),
            TemplateRuleCase(
                name: "process too long",
                change: { $0.process = "/" + String(repeating: "a", count: 1024) },
                field: "process",
                reason: "is longer than 1024 bytes"
            ),
            // functions
            TemplateRuleCase(name: "no functions", change: { $0.functions = [] }, field: "functions", reason: "must list at least one function"),
            TemplateRuleCase(
                name: "too many functions",
                change: { $0.functions = (0..<129).map { "f\($0)" } },
                field: "functions",
                reason: "lists 129 functions; at most 128 are allowed"
            ),
            TemplateRuleCase(name: "empty function", change: { $0.functions = ["xmalloc", ""] }, field: "functions[1]", reason: "must not be empty"),
            TemplateRuleCase(
                name: "function with brace",
                change: { $0.functions = ["xmalloc{system(\"id\")}"] },
                field: "functions[0]",
                reason:
                    "'xmalloc{system(\"id\")}' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            ),
            TemplateRuleCase(
                name: "function wildcard",
                change: { $0.functions = ["x*"] },
                field: "functions[0]",
                reason: "'x*' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            ),
            TemplateRuleCase(
                name: "function with colon",
                change: { $0.functions = ["ns::f"] },
                field: "functions[0]",
                reason: "'ns::f' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            ),
            TemplateRuleCase(
                name: "function starting with digit",
                change: { $0.functions = ["1abc"] },
                field: "functions[0]",
                reason: "'1abc' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            ),
            TemplateRuleCase(
                name: "function quote for stap",
                change: { $0.functions = ["a\")"] },
                field: "functions[0]",
                reason: "'a\")' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            ),
            TemplateRuleCase(
                name: "function too long",
                change: { $0.functions = [String(repeating: "a", count: 513)] },
                field: "functions[0]",
                reason: "is longer than 512 bytes"
            ),
            TemplateRuleCase(
                name: "function twice",
                change: { $0.functions = ["xmalloc", "xmalloc"] },
                field: "functions[1]",
                reason: "'xmalloc' is listed twice"
            ),
            // traceType
            TemplateRuleCase(
                name: "no traceType",
                change: { $0.traceType = [] },
                field: "traceType",
                reason: "must list at least one tracer (BPF, STAP)"
            ),
            TemplateRuleCase(
                name: "unknown traceType",
                change: { $0.traceType = ["DTRACE"] },
                field: "traceType[0]",
                reason: "'DTRACE' is not a tracer type; expected one of BPF, STAP"
            ),
            TemplateRuleCase(
                name: "lowercase traceType",
                change: { $0.traceType = ["bpf"] },
                field: "traceType[0]",
                reason: "'bpf' is not a tracer type; expected one of BPF, STAP"
            ),
            TemplateRuleCase(
                name: "traceType twice",
                change: { $0.traceType = ["BPF", "BPF"] },
                field: "traceType[1]",
                reason: "'BPF' is listed twice"
            ),
            // environment / value
            TemplateRuleCase(
                name: "value shorter than environment",
                change: { $0.value = ["128"] },
                field: "value",
                reason: "has 1 entries but environment has 2; they pair up one to one"
            ),
            TemplateRuleCase(
                name: "LD_PRELOAD",
                change: {
                    $0.environment = ["LD_PRELOAD"]
                    $0.value = ["/tmp/x.so"]
                },
                field: "environment[0]",
                reason: "'LD_PRELOAD' is a dynamic loader variable; those are never passed to a tracer"
            ),
            TemplateRuleCase(
                name: "PATH",
                change: {
                    $0.environment = ["PATH"]
                    $0.value = ["/tmp"]
                },
                field: "environment[0]",
                reason:
                    "'PATH' is not allowed for BPF (allowed: BPFTRACE_CACHE_USER_SYMBOLS, BPFTRACE_CAT_BYTES_MAX, BPFTRACE_LOG_SIZE, BPFTRACE_MAP_KEYS_MAX, BPFTRACE_MAX_BPF_PROGS, BPFTRACE_MAX_PROBES, BPFTRACE_NO_CPP_DEMANGLE, BPFTRACE_NO_USER_SYMBOLS, BPFTRACE_PERF_RB_PAGES, BPFTRACE_STRLEN)"
            ),
            TemplateRuleCase(
                name: "BPFTRACE_BTF names a file",
                change: {
                    $0.environment = ["BPFTRACE_BTF"]
                    $0.value = ["/tmp/x"]
                },
                field: "environment[0]",
                reason:
                    "'BPFTRACE_BTF' is not allowed for BPF (allowed: BPFTRACE_CACHE_USER_SYMBOLS, BPFTRACE_CAT_BYTES_MAX, BPFTRACE_LOG_SIZE, BPFTRACE_MAP_KEYS_MAX, BPFTRACE_MAX_BPF_PROGS, BPFTRACE_MAX_PROBES, BPFTRACE_NO_CPP_DEMANGLE, BPFTRACE_NO_USER_SYMBOLS, BPFTRACE_PERF_RB_PAGES, BPFTRACE_STRLEN)"
            ),
            TemplateRuleCase(
                name: "BPF variable on a STAP template",
                change: {
                    $0.traceType = ["BPF", "STAP"]
                    $0.options = []
                },
                field: "environment[0]",
                reason: "'BPFTRACE_STRLEN' is not allowed for STAP (allowed: none)"
            ),
            TemplateRuleCase(
                name: "value not a number",
                change: { $0.value = ["128", "lots"] },
                field: "value[1]",
                reason: "'lots' is not valid for BPFTRACE_PERF_RB_PAGES: expected a whole number from 1 to 4096"
            ),
            TemplateRuleCase(
                name: "value with shell text",
                change: { $0.value = ["1; rm -rf /", "1"] },
                field: "value[0]",
                reason: "'1; rm -rf /' is not valid for BPFTRACE_STRLEN: expected a whole number from 1 to 200"
            ),
            TemplateRuleCase(
                name: "value out of range",
                change: { $0.value = ["201", "1"] },
                field: "value[0]",
                reason: "'201' is not valid for BPFTRACE_STRLEN: expected a whole number from 1 to 200"
            ),
            TemplateRuleCase(
                name: "flag value",
                change: {
                    $0.environment = ["BPFTRACE_NO_CPP_DEMANGLE"]
                    $0.value = ["yes"]
                },
                field: "value[0]",
                reason: "'yes' is not valid for BPFTRACE_NO_CPP_DEMANGLE: expected 0 or 1"
            ),
            TemplateRuleCase(
                name: "variable twice",
                change: {
                    $0.environment = ["BPFTRACE_STRLEN", "BPFTRACE_STRLEN"]
                    $0.value = ["1", "2"]
                },
                field: "environment[1]",
                reason: "'BPFTRACE_STRLEN' is listed twice"
            ),
            TemplateRuleCase(
                name: "too many variables",
                change: {
                    $0.environment = Array(repeating: "BPFTRACE_STRLEN", count: 17)
                    $0.value = Array(repeating: "1", count: 17)
                },
                field: "environment",
                reason: "lists 17 variables; at most 16 are allowed"
            ),
            // options
            TemplateRuleCase(
                name: "--unsafe",
                change: { $0.options = ["--unsafe"] },
                field: "options[0]",
                reason: "'--unsafe' is not allowed for BPF (allowed: -k -kk -v -q --no-warnings)"
            ),
            TemplateRuleCase(
                name: "-e program",
                change: { $0.options = ["-e", "BEGIN { system(\"id\") }"] },
                field: "options[0]",
                reason: "'-e' is not allowed for BPF (allowed: -k -kk -v -q --no-warnings)"
            ),
            TemplateRuleCase(
                name: "-o file",
                change: { $0.options = ["-k", "-o"] },
                field: "options[1]",
                reason: "'-o' is not allowed for BPF (allowed: -k -kk -v -q --no-warnings)"
            ),
            TemplateRuleCase(
                name: "-c command",
                change: { $0.options = ["-c"] },
                field: "options[0]",
                reason: "'-c' is not allowed for BPF (allowed: -k -kk -v -q --no-warnings)"
            ),
            TemplateRuleCase(
                name: "stap guru mode",
                change: {
                    $0.traceType = ["STAP"]
                    $0.environment = []
                    $0.value = []
                    $0.options = ["-g"]
                },
                field: "options[0]",
                reason: "'-g' is not allowed for STAP (allowed: -v -vv -vvv -w -t -u -P --skip-badvars)"
            ),
            TemplateRuleCase(
                name: "-k on a STAP template",
                change: {
                    $0.traceType = ["STAP"]
                    $0.environment = []
                    $0.value = []
                },
                field: "options[0]",
                reason: "'-k' is not allowed for STAP (allowed: -v -vv -vvv -w -t -u -P --skip-badvars)"
            ),
            TemplateRuleCase(
                name: "option glued with value",
                change: { $0.options = ["-k -e x"] },
                field: "options[0]",
                reason: "'-k -e x' is not allowed for BPF (allowed: -k -kk -v -q --no-warnings)"
            ),
            TemplateRuleCase(name: "option twice", change: { $0.options = ["-k", "-k"] }, field: "options[1]", reason: "'-k' is listed twice"),
            TemplateRuleCase(
                name: "too many options",
                change: { $0.options = Array(repeating: "-k", count: 17) },
                field: "options",
                reason: "lists 17 options; at most 16 are allowed"
            ),
        ] + numericCaps.map { overCap($0.name, $0.cap) }
}
