import Foundation

/// A template that breaks a rule: the field and why.
public typealias TemplateValidationError = FieldError

/// The rules a template must meet before it is stored. Every value here later reaches
/// a root process (as a path inside a tracer program, a probe name, an argv element or
/// an environment variable), so the rules are allow-lists, not deny-lists.
///
/// - `process`: an absolute path of at most 1024 bytes made of letters, digits and
///   `/ . _ - +`, naming a non-empty regular file (symlinks followed) that is a 64-bit
///   little-endian ELF binary, not under /proc, /sys or /dev (see `BinaryFile`). No
///   `..` components, no spaces, quotes, colons or control characters, so it can be
///   embedded in `uprobe:PATH:FUNC` and `process("PATH")` without quoting.
///
/// `validate` opens `process` and reads its ELF header: blocking file work, which may
/// hang on a hung mount. The server runs it on `BlockingWorkPool`s, never on the
/// concurrency pool or an event loop.
/// - `functions`: 1 to `maxFunctions` names (setting `max-functions-per-template`,
///   default 128, at most 1024), no duplicates, each 1 to 512 bytes, starting with a
///   letter or `_`, then letters, digits, `_`, `.` and `$` (enough for C names and
///   C++/Rust mangled names; no `:` or wildcards, which both tracers would interpret).
/// - `traceType`: 1 or 2 entries from `BPF`, `STAP`, no duplicates.
/// - `environment` / `value`: equal length, at most 16 pairs, no duplicate names; each
///   name must be allowed for every tracer in `traceType` (see `TracerAllowList`), and
///   its value must match that variable's rule. `LD_*` and the like are never allowed.
/// - `options`: at most 16, no duplicates, each allowed for every tracer in `traceType`.
public struct TemplateValidator: Sendable {
    public static let maxProcessPathBytes = 1024
    /// The highest `max-functions-per-template` accepted: each function is two probes,
    /// and bpftrace attaches them one by one (start-up time grows with the count).
    public static let maxFunctionsLimit = 1024
    public static let maxFunctionNameBytes = 512
    public static let maxEnvironmentPairs = 16
    public static let maxOptions = 16

    public let maxFunctions: Int

    public init(maxFunctions: Int = 128) {
        self.maxFunctions = maxFunctions
    }

    /// `openingProcess`: whether `process` is opened on the host too. A targeted start
    /// passes false: its `process` is a path inside the target, opened there instead.
    public func validate(_ template: TraceTemplate, openingProcess: Bool = true) throws(TemplateValidationError) {
        let tracers = try validateTraceTypes(template.traceType)
        try validateProcess(template.process, opening: openingProcess)
        try validateFunctions(template.functions)
        try validateEnvironment(names: template.environment, values: template.value, tracers: tracers)
        try validateOptions(template.options, tracers: tracers)
        try validatePins(buildId: template.buildId, sha256: template.sha256)
    }

    /// Lowercase hex as `readelf -n` and `sha256sum` print them: a build-id of 1 to 64
    /// bytes, a SHA-256 of exactly 32.
    func validatePins(buildId: String?, sha256: String?) throws(TemplateValidationError) {
        if let buildId, buildId.utf8.count % 2 != 0 || !(2...128).contains(buildId.utf8.count) || !buildId.utf8.allSatisfy(Self.isLowercaseHex) {
            throw TemplateValidationError(
                field: "buildId",
                reason: "must be an ELF build-id in lowercase hex (2 to 128 digits, even), got \(quoted(buildId))"
            )
        }
        if let sha256, sha256.utf8.count != 64 || !sha256.utf8.allSatisfy(Self.isLowercaseHex) {
            throw TemplateValidationError(field: "sha256", reason: "must be a SHA-256 in lowercase hex (64 digits), got \(quoted(sha256))")
        }
    }

    static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    func validateTraceTypes(_ names: [String]) throws(TemplateValidationError) -> [TracerType] {
        guard !names.isEmpty else {
            throw TemplateValidationError(field: "traceType", reason: "must list at least one tracer (\(TracerType.namesForMessages))")
        }
        var tracers: [TracerType] = []
        for (index, name) in names.enumerated() {
            guard let tracer = TracerType(rawValue: name) else {
                throw TemplateValidationError(
                    field: "traceType[\(index)]",
                    reason: "\(quoted(name)) is not a tracer type; expected one of \(TracerType.namesForMessages)"
                )
            }
            guard !tracers.contains(tracer) else {
                throw TemplateValidationError(field: "traceType[\(index)]", reason: "\(quoted(name)) is listed twice")
            }
            tracers.append(tracer)
        }
        return tracers
    }

    func validateProcess(_ path: String, opening: Bool = true) throws(TemplateValidationError) {
        try Self.checkProcessPath(path, field: "process")
        guard opening else { return }
        _ = try Self.openProcessBinary(path, field: "process")
    }

    /// The rule of `process` that reads the file: a non-empty regular ELF file the reader
    /// accepts (see `BinaryFile`). Blocking file work: run it on a `BlockingWorkPool`.
    public static func openProcessBinary(_ path: String, field: String) throws(FieldError) -> ELFFunctionSymbols {
        do {
            return try ELFFunctionSymbols(path: path)
        } catch {
            throw TemplateValidationError(field: field, reason: "\(quoted(path)) \(error.description)")
        }
    }

    /// The rules of `process` that need no file: the path's length, bytes and components.
    /// Shared with every other request value that names a binary to probe (an analysis's
    /// `process` parameter); `field` is how the request names it.
    public static func checkProcessPath(_ path: String, field: String) throws(FieldError) {
        guard !path.isEmpty else { throw TemplateValidationError(field: field, reason: "must not be empty") }
        guard path.utf8.count <= Self.maxProcessPathBytes else {
            throw TemplateValidationError(field: field, reason: "is longer than \(Self.maxProcessPathBytes) bytes")
        }
        guard path.hasPrefix("/") else {
            throw TemplateValidationError(field: field, reason: "must be an absolute path, got \(quoted(path))")
        }
        guard path.utf8.allSatisfy(Self.isPathByte) else {
            throw TemplateValidationError(field: field, reason: "may only contain letters, digits and / . _ - +, got \(quoted(path))")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw TemplateValidationError(field: field, reason: "must be a plain path without '.', '..' or '//' components, got \(quoted(path))")
        }
    }

    func validateFunctions(_ functions: [String]) throws(TemplateValidationError) {
        guard !functions.isEmpty else {
            throw TemplateValidationError(field: "functions", reason: "must list at least one function")
        }
        guard functions.count <= maxFunctions else {
            throw TemplateValidationError(field: "functions", reason: "lists \(functions.count) functions; at most \(maxFunctions) are allowed")
        }
        var seen = Set<String>()
        for (index, name) in functions.enumerated() {
            let field = "functions[\(index)]"
            try Self.checkFunctionName(name, field: field)
            guard seen.insert(name).inserted else {
                throw TemplateValidationError(field: field, reason: "\(quoted(name)) is listed twice")
            }
        }
    }

    /// The rules of one function name, shared with every other request value that names a
    /// function to probe (an analysis's `function` parameter); `field` is how the request
    /// names it.
    public static func checkFunctionName(_ name: String, field: String) throws(FieldError) {
        guard !name.isEmpty else { throw TemplateValidationError(field: field, reason: "must not be empty") }
        guard name.utf8.count <= maxFunctionNameBytes else {
            throw TemplateValidationError(field: field, reason: "is longer than \(maxFunctionNameBytes) bytes")
        }
        guard isSymbolName(name) else {
            throw TemplateValidationError(
                field: field,
                reason: "\(quoted(name)) is not a symbol name: it must start with a letter or '_' and contain only letters, digits, '_', '.' and '$'"
            )
        }
    }

    func validateEnvironment(names: [String], values: [String], tracers: [TracerType]) throws(TemplateValidationError) {
        guard names.count == values.count else {
            throw TemplateValidationError(
                field: "value",
                reason: "has \(values.count) entries but environment has \(names.count); they pair up one to one"
            )
        }
        guard names.count <= Self.maxEnvironmentPairs else {
            throw TemplateValidationError(
                field: "environment",
                reason: "lists \(names.count) variables; at most \(Self.maxEnvironmentPairs) are allowed"
            )
        }
        var seen = Set<String>()
        for (index, (name, value)) in zip(names, values).enumerated() {
            let field = "environment[\(index)]"
            if name.hasPrefix("LD_") {
                throw TemplateValidationError(
                    field: field,
                    reason: "\(quoted(name)) is a dynamic loader variable; those are never passed to a tracer"
                )
            }
            for tracer in tracers {
                let allowList = TracerAllowList.forTracer(tracer)
                guard let rule = allowList.environment[name] else {
                    let allowed = allowList.environment.keys.sorted().joined(separator: ", ")
                    throw TemplateValidationError(
                        field: field,
                        reason: "\(quoted(name)) is not allowed for \(tracer.rawValue) (allowed: \(allowed.isEmpty ? "none" : allowed))"
                    )
                }
                guard rule.accepts(value) else {
                    throw TemplateValidationError(
                        field: "value[\(index)]",
                        reason: "\(quoted(value)) is not valid for \(name): expected \(rule.expectation)"
                    )
                }
            }
            guard seen.insert(name).inserted else {
                throw TemplateValidationError(field: field, reason: "\(quoted(name)) is listed twice")
            }
        }
    }

    func validateOptions(_ options: [String], tracers: [TracerType]) throws(TemplateValidationError) {
        guard options.count <= Self.maxOptions else {
            throw TemplateValidationError(field: "options", reason: "lists \(options.count) options; at most \(Self.maxOptions) are allowed")
        }
        var seen = Set<String>()
        for (index, option) in options.enumerated() {
            let field = "options[\(index)]"
            for tracer in tracers {
                let allowed = TracerAllowList.forTracer(tracer).options
                guard allowed.contains(option) else {
                    throw TemplateValidationError(
                        field: field,
                        reason: "\(quoted(option)) is not allowed for \(tracer.rawValue) (allowed: \(allowed.joined(separator: " ")))"
                    )
                }
            }
            guard seen.insert(option).inserted else {
                throw TemplateValidationError(field: field, reason: "\(quoted(option)) is listed twice")
            }
        }
    }

    package static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"):
            return true
        default:
            return false
        }
    }

    static func isSymbolName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next() else { return false }
        let isLetter = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        guard isLetter(first) || first == UInt8(ascii: "_") else { return false }
        while let byte = bytes.next() {
            let ok =
                isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "$")
            guard ok else { return false }
        }
        return true
    }
}

/// Quotes a client-supplied value for an error message, cut short and with control
/// characters escaped so a hostile value cannot forge log lines or bloat responses.
package func quoted(_ value: String, limit: Int = 80) -> String {
    var escaped = ""
    for scalar in value.unicodeScalars.prefix(limit) {
        if scalar.value < 0x20 || scalar.value == 0x7F {
            escaped += String(format: "\\u%04X", scalar.value)
        } else if scalar == "'" || scalar == "\\" {
            escaped += "\\" + String(scalar)
        } else {
            escaped.unicodeScalars.append(scalar)
        }
    }
    if value.unicodeScalars.count > limit { escaped += "..." }
    return "'\(escaped)'"
}
