import Testing

/// One broken rule of an analysis start's values and the exact refusal it must give,
/// checked against the request's own rules (`AnalysisStartRequest.checked`) and, once the
/// start route exists, over HTTP. `parameters` is the JSON text of the `parameters` value.
public struct AnalysisParameterCase: CustomTestStringConvertible, Sendable {
    public let name: String
    public let analysis: String
    public let parameters: String
    public let lasting: Int
    public let field: String
    public let reason: String
    public var testDescription: String { name }

    public init(_ name: String, analysis: String, parameters: String, lasting: Int = 5, field: String, reason: String) {
        self.name = name
        self.analysis = analysis
        self.parameters = parameters
        self.lasting = lasting
        self.field = field
        self.reason = reason
    }

    /// The request body as a platform would send it.
    public var body: String { #"{"analysis":"\#(analysis)","parameters":\#(parameters),"lasting":\#(lasting)}"# }

    /// Every kind of parameter rule, each for a parameter of the catalogue: types, bounds,
    /// enumeration values, unknown names, required names and the template rules reused
    /// for names.
    public static let all: [AnalysisParameterCase] = [
        // integer
        AnalysisParameterCase(
            "integer below its minimum",
            analysis: "syscalls",
            parameters: #"{"interval":0}"#,
            field: "parameters.interval",
            reason: "must be from 1 to 3600, got 0"
        ),
        AnalysisParameterCase(
            "integer above its maximum",
            analysis: "cpu-profile",
            parameters: #"{"frequency":1001}"#,
            field: "parameters.frequency",
            reason: "must be from 1 to 1000, got 1001"
        ),
        AnalysisParameterCase(
            "integer far beyond Int64",
            analysis: "block-io",
            parameters: #"{"interval":1e30}"#,
            field: "parameters.interval",
            reason: "expected a whole number from 1 to 3600, got a number"
        ),
        AnalysisParameterCase(
            "integer given a fraction",
            analysis: "off-cpu",
            parameters: #"{"min-microseconds":1.5}"#,
            field: "parameters.min-microseconds",
            reason: "expected a whole number from 0 to 60000000, got a number"
        ),
        AnalysisParameterCase(
            "integer given a string",
            analysis: "syscalls",
            parameters: #"{"top":"10"}"#,
            field: "parameters.top",
            reason: "expected a whole number from 0 to 100000, got a string"
        ),
        AnalysisParameterCase(
            "integer given true",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":"xmalloc","interval":true}"#,
            field: "parameters.interval",
            reason: "expected a whole number from 1 to 3600, got true or false"
        ),
        AnalysisParameterCase(
            "negative integer",
            analysis: "off-cpu",
            parameters: #"{"min-microseconds":-1}"#,
            field: "parameters.min-microseconds",
            reason: "must be from 0 to 60000000, got -1"
        ),
        // enum
        AnalysisParameterCase(
            "enum value not among its values",
            analysis: "tcp",
            parameters: #"{"family":"ipv5"}"#,
            field: "parameters.family",
            reason: "'ipv5' is not one of all, ipv4, ipv6"
        ),
        AnalysisParameterCase(
            "enum value in another case",
            analysis: "tcp",
            parameters: #"{"family":"IPv4"}"#,
            field: "parameters.family",
            reason: "'IPv4' is not one of all, ipv4, ipv6"
        ),
        AnalysisParameterCase(
            "enum given a number",
            analysis: "tcp",
            parameters: #"{"family":4}"#,
            field: "parameters.family",
            reason: "expected one of all, ipv4, ipv6, got a number"
        ),
        AnalysisParameterCase(
            "enum value with a control character, quoted escaped",
            analysis: "tcp",
            parameters: #"{"family":"ipv4\n"}"#,
            field: "parameters.family",
            reason: "'ipv4\\u000A' is not one of all, ipv4, ipv6"
        ),
        // boolean
        AnalysisParameterCase(
            "boolean given a string",
            analysis: "open",
            parameters: #"{"failed-only":"true"}"#,
            field: "parameters.failed-only",
            reason: "expected true or false, got a string"
        ),
        AnalysisParameterCase(
            "boolean given a number",
            analysis: "open",
            parameters: #"{"failed-only":1}"#,
            field: "parameters.failed-only",
            reason: "expected true or false, got a number"
        ),
        AnalysisParameterCase(
            "boolean given null-like text",
            analysis: "off-cpu",
            parameters: #"{"user-stacks":"no"}"#,
            field: "parameters.user-stacks",
            reason: "expected true or false, got a string"
        ),
        AnalysisParameterCase(
            "boolean given a list",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":"xmalloc","per-process":[true]}"#,
            field: "parameters.per-process",
            reason: "expected true or false, got a list"
        ),
        // string: required, type, and the template's rules for the same names
        AnalysisParameterCase(
            "required string missing",
            analysis: "function-latency",
            parameters: #"{"function":"xmalloc"}"#,
            field: "parameters.process",
            reason: "is required"
        ),
        AnalysisParameterCase(
            "required string null",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":null}"#,
            field: "parameters.function",
            reason: "is required"
        ),
        AnalysisParameterCase(
            "string given an object",
            analysis: "function-latency",
            parameters: #"{"process":{"path":"/bin/bash"},"function":"xmalloc"}"#,
            field: "parameters.process",
            reason: "expected a string, got an object"
        ),
        AnalysisParameterCase(
            "process not absolute (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"bin/bash","function":"xmalloc"}"#,
            field: "parameters.process",
            reason: "must be an absolute path, got 'bin/bash'"
        ),
        AnalysisParameterCase(
            "process with script text (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash:xmalloc { system(\"id\") } uprobe:/bin/sh","function":"xmalloc"}"#,
            field: "parameters.process",
            reason: "may only contain letters, digits and / . _ - +, got '/bin/bash:xmalloc { system(\"id\") } uprobe:/bin/sh'"
        ),
        AnalysisParameterCase(
            "process with a dot-dot component (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"/usr/../bin/bash","function":"xmalloc"}"#,
            field: "parameters.process",
            reason: "must be a plain path without '.', '..' or '//' components, got '/usr/../bin/bash'"
        ),
        AnalysisParameterCase(
            "function with a wildcard (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":"x*"}"#,
            field: "parameters.function",
            reason: "'x*' is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
        ),
        AnalysisParameterCase(
            "function empty (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":""}"#,
            field: "parameters.function",
            reason: "must not be empty"
        ),
        AnalysisParameterCase(
            "function too long (template rule)",
            analysis: "function-latency",
            parameters: #"{"process":"/bin/bash","function":"\#(String(repeating: "f", count: 513))"}"#,
            field: "parameters.function",
            reason: "is longer than 512 bytes"
        ),
        // names
        AnalysisParameterCase(
            "unknown parameter",
            analysis: "syscalls",
            parameters: #"{"intervall":5}"#,
            field: "parameters",
            reason: "'intervall' is not a parameter of syscalls (its parameters: interval, top)"
        ),
        AnalysisParameterCase(
            "any parameter of an analysis that takes none",
            analysis: "exec",
            parameters: #"{"interval":5}"#,
            field: "parameters",
            reason: "'interval' is not a parameter of exec (it takes none)"
        ),
        AnalysisParameterCase(
            "unknown parameter named with control characters, quoted escaped",
            analysis: "open",
            parameters: #"{"x\u0007y":1}"#,
            field: "parameters",
            reason: "'x\\u0007y' is not a parameter of open (its parameters: failed-only)"
        ),
        // lasting, as for a template's start
        AnalysisParameterCase(
            "lasting 0",
            analysis: "exec",
            parameters: "{}",
            lasting: 0,
            field: "lasting",
            reason: "must be a whole number of seconds from 1 to 86400, got 0"
        ),
    ]
}
