import Foundation
import TraceModel

/// The property every template the validator accepts must have: it reaches the tracer
/// only as its validated parts. Shared by the property test (generated templates) and
/// the fuzzer (`Fuzz/`, which compiles this file together with TraceModel's sources).
/// - the process path and function names use only their allowed characters;
/// - the program is the program of placeholder names with the template's names put in
///   their places: nothing else of the template enters the text;
/// - the argv is the fixed argv plus allow-listed options, and behind sudo nothing of
///   the template comes before `--`; the sudo password is never in argv;
/// - the environment is the base one plus allow-listed variables with accepted values;
/// - the template survives its own wire form unchanged.
public enum AcceptedTemplateInvariants {
    static let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-")
    static let functionCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$")

    /// What is wrong with an accepted template's way to the tracer; empty when the
    /// property holds.
    public static func violations(of template: TraceTemplate, lastingSeconds: Int = 5) -> [String] {
        var found: [String] = []
        if !template.process.allSatisfy(pathCharacters.contains) { found.append("process has a character outside the path allow-list") }
        if !template.functions.allSatisfy({ $0.allSatisfy(functionCharacters.contains) }) {
            found.append("a function has a character outside the symbol allow-list")
        }
        for tracer in template.tracerTypes {
            found += programViolations(template, tracer: tracer, lastingSeconds: lastingSeconds)
            found += invocationViolations(template, tracer: tracer)
        }
        if template.tracerTypes.count != template.traceType.count { found.append("traceType holds a name that is not a tracer") }
        found += wireFormViolations(template)
        return found
    }

    static func programViolations(_ template: TraceTemplate, tracer: TracerType, lastingSeconds: Int) -> [String] {
        let processMark = "\u{1}PROCESS\u{1}"
        // A mark as long as its function where that is past bpftrace's string literals: such
        // names are written only in the probes (`TracerProgram.functionElement`).
        let functionMarks = template.functions.enumerated().map { index, function in
            let mark = "\u{2}F\(index)\u{2}"
            let length = function.utf8.count > TracerProgram.maxStringLiteralBytes ? function.utf8.count : 0
            return mark + String(repeating: "_", count: max(0, length - mark.utf8.count))
        }
        let skeleton = TraceTemplate(process: processMark, functions: functionMarks, traceType: template.traceType)
        var expected = TracerProgram.text(for: skeleton, tracer: tracer, lastingSeconds: lastingSeconds)
        expected = expected.replacingOccurrences(of: processMark, with: template.process)
        for (mark, function) in zip(functionMarks, template.functions) {
            expected = expected.replacingOccurrences(of: mark, with: function)
        }
        let program = TracerProgram.text(for: template, tracer: tracer, lastingSeconds: lastingSeconds)
        return program == expected ? [] : ["\(tracer.rawValue) program is not the skeleton with the template's names in their places"]
    }

    static func invocationViolations(_ template: TraceTemplate, tracer: TracerType) -> [String] {
        var found: [String] = []
        let allow = TracerAllowList.forTracer(tracer)
        let program = "/trace-dir/run.program"
        let tracerPath = "/usr/bin/tracer"
        let password = "\u{3}password\u{3}"
        let prefix = tracer == .bpf ? ["-f", "json"] : []
        let root = TracerInvocation(template: template, tracer: tracer, programFile: program, tracerPath: tracerPath, privilege: .root)
        if root.arguments != prefix + template.options + [program] { found.append("\(tracer.rawValue) argv is not the fixed argv plus the options") }
        if !template.options.allSatisfy(allow.options.contains) { found.append("\(tracer.rawValue) got an option outside its allow-list") }
        for (name, value) in root.environment where TracerInvocation.baseEnvironment[name] != value {
            if allow.environment[name]?.accepts(value) != true { found.append("\(tracer.rawValue) environment has \(name) outside its allow-list") }
        }
        if root.environment.keys.contains(where: { $0.hasPrefix("LD_") }) { found.append("a loader variable reached the environment") }
        let sudo = TracerInvocation(
            template: template,
            tracer: tracer,
            programFile: program,
            tracerPath: tracerPath,
            privilege: .sudoWithPassword(password)
        )
        if Array(sudo.arguments.prefix(6)) != ["-k", "-S", "-p", "", "--", tracerPath] || Array(sudo.arguments.dropFirst(6)) != root.arguments {
            found.append("\(tracer.rawValue) sudo argv is not sudo's fixed options, --, then the tracer's argv")
        }
        if sudo.arguments.contains(where: { $0.contains(password) }) || sudo.environment.values.contains(where: { $0.contains(password) }) {
            found.append("the sudo password reached argv or the environment")
        }
        if sudo.standardInput != Array((password + "\n").utf8) { found.append("the sudo password is not exactly the standard input") }
        let noPassword = TracerInvocation(
            template: template,
            tracer: tracer,
            programFile: program,
            tracerPath: tracerPath,
            privilege: .sudoWithoutPassword
        )
        if noPassword.arguments != ["-n", "--", tracerPath] + root.arguments || !noPassword.standardInput.isEmpty {
            found.append("\(tracer.rawValue) sudo -n argv is not -n, --, then the tracer's argv")
        }
        return found
    }

    static func wireFormViolations(_ template: TraceTemplate) -> [String] {
        guard let data = try? JSONEncoder().encode(template) else { return ["the template cannot be encoded"] }
        guard let decoded = try? JSONDecoder().decode(TraceTemplate.self, from: data) else { return ["the encoded template cannot be decoded"] }
        return decoded == template ? [] : ["the template changed through its wire form"]
    }
}
