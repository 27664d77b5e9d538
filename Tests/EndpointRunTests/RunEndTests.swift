import EndpointTestSupport
import Foundation
import Testing

/// Every accepted template runs, and every run ends cleanly, with real bpftrace: function
/// names longer than bpftrace's string literals, and a program of 160 uprobes under a
/// flood of events, whose probes take bpftrace about 20 s to detach.
@Suite("Every accepted template runs, every run ends cleanly", .serialized)
struct RunEndTests {
    /// 120 functions of 500 bytes, each called once by `main`.
    static let longNames = (0..<120).map { String(format: "f%03d_", $0) + String(repeating: "x", count: 495) }

    /// A C compiler: the Swift toolchain's clang (on PATH wherever the tests build), else cc.
    static func compiler() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for directory in path.split(separator: ":") + ["/usr/bin"] {
            for name in ["clang", "cc"] where access("\(directory)/\(name)", X_OK) == 0 { return "\(directory)/\(name)" }
        }
        throw Missing(description: "no C compiler (clang or cc) on PATH")
    }

    struct Missing: Error, CustomStringConvertible { let description: String }

    /// Compiles a program defining `names` (each `int NAME(int)`, never inlined) whose main
    /// calls each once, into a fresh directory every user may read.
    static func binary(defining names: [String]) throws -> (directory: String, path: String) {
        let directory = "/tmp/lambda-long-names-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let functions = names.map { "__attribute__((noinline)) int \($0)(int a) { return a + 1; }\n" }.joined()
        let calls = names.map { "s = \($0)(s); " }.joined()
        let source = "\(directory)/names.c"
        try "\(functions)int main(void) { int s = 0; \(calls)return s == \(names.count) ? 0 : 1; }\n".write(
            toFile: source,
            atomically: true,
            encoding: .utf8
        )
        let path = "\(directory)/names"
        let (status, output) = try runCommand(try compiler(), ["-O1", "-o", path, source])
        guard status == 0 else { throw Missing(description: "compiling \(source): \(output)") }
        return (directory, path)
    }

    @Test(
        "120 functions of 500 bytes: stored, started, run to the end with code 0; each call's entry and return name the function by the probe"
    )
    func longFunctionNames() async throws {
        let (directory, binary) = try Self.binary(defining: Self.longNames)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let functions = Self.longNames.map { "\"\($0)\"" }.joined(separator: ",")
        let number = try await endpoint.putTemplate(#"{"process":"\#(binary)","functions":[\#(functions)],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        let running = try? await endpoint.waitForState(filePath, .running, timeout: .seconds(30))
        #expect(running != nil, "the tracer's probes are live")
        #expect(try runCommand(binary, []).status == 0)

        let received = try #require(await receiver.waitForFinished(filePath, timeout: 120), "the run finishes")
        #expect(received.code == 0 && received.verdict == .complete, "\(received.code.map(String.init) ?? "-") \(received.stderr ?? "")")
        let events = try streamLines(try await receiver.stream(filePath)).compactMap(\.data).filter {
            $0.first?.text == "entry" || $0.first?.text == "return"
        }
        // bpftrace's probe names the file as it was given: the descriptor the endpoint holds
        // (`uprobe:/proc/<pid>/fd/<n>:<name>`), so the kind and the name are compared.
        let probes = Self.longNames.flatMap { ["uprobe \($0)", "uretprobe \($0)"] }
        let seen = events.compactMap { $0[2].text }.map { "\($0.prefix { $0 != ":" }) \($0.split(separator: ":").last ?? "")" }
        #expect(seen.sorted() == probes.sorted(), "one entry and one return per function, \(events.count) events")
        #expect(events.allSatisfy { $0[2].text?.hasPrefix("uprobe:/proc/") == true || $0[2].text?.hasPrefix("uretprobe:/proc/") == true })
        #expect(events.allSatisfy { $0[1] == $0[2] }, "the function element is the probe")
    }

    /// Functions of /bin/bash, all called while bash runs `floodCommand`, several thousand
    /// times a second for the busiest: 160 probes.
    static let floodFunctions = [
        "initialize_bash_input", "initialize_shell_variables", "maybe_make_restricted", "new_var_context", "pop_dollar_vars",
        "pop_var_context", "push_context", "push_dollar_vars", "push_var_context", "eval_builtin", "evalstring", "hash_flush",
        "make_function_def", "phash_insert", "make_new_array_variable", "make_word", "make_word_flags", "find_or_make_array_variable",
        "redirection_expand", "make_for_command", "make_subshell_command", "make_funcname_visible", "phash_search", "find_function_def",
        "fd_to_buffered_stream", "make_array_variable_value", "find_user_command", "parse_and_execute", "make_cond_command",
        "make_group_command", "hash_remove", "parse_string", "rewind_input_string", "expand_compound_array_assignment",
        "free_pushed_string_input", "expand_word_leave_quoted", "duplicate_buffered_stream", "find_tempenv_variable", "make_child",
        "find_string_in_alist", "maybe_make_export_env", "pop_stream", "find_variable_tempenv", "push_stream", "quote_string_for_globbing",
        "find_procsub_child", "make_if_command", "hash_create", "make_cond_node", "internal_strmatch", "find_variable_last_nameref",
        "inttostr", "make_redirection", "expand_words_no_vars", "parser_expanding_alias", "get_locale_var", "internal_wstrmatch",
        "get_string_value", "hash_insert", "make_simple_command", "find_flag", "expand_arith_string", "evalexp", "get_variable_value",
        "make_builtin_argv", "quote_string", "find_function", "flush_eltstate", "expand_string_assignment", "find_shell_builtin",
        "do_word_assignment", "expand_words", "execute_command", "list_string", "execute_command_internal", "make_variable_value",
        "make_bare_word", "find_variable", "hash_search", "make_word_list",
    ]
    static let floodCommand = "n=0; while :; do s=abc; s=\"${s}def$s\"; n=$((n+1)); x=$(echo $n); done"

    @Test(
        "160 uprobes on a bash called in a hot loop: the run outlives its lasting by the ~20 s bpftrace takes to detach them, and still ends with code 0 and END's output",
        .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
    )
    func floodEndsCleanly() async throws {
        // The container's own copy of bash: the probes slow its loop, not every bash on the machine.
        let container = try HomeMadeContainer(command: Self.floodCommand)
        defer { container.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // A grace of 1 s: the old fixed sequence SIGKILLed this run 4 s after its lasting.
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["kill-grace-seconds": "1"])
        let functions = Self.floodFunctions.map { "\"\($0)\"" }.joined(separator: ",")
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":[\#(functions)],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 3, target: #"{"container":"\#(container.id)"}"#)
        let status = try await endpoint.waitForState(filePath, .running, timeout: .seconds(30))
        #expect(status.probesExpected == 165 && status.probesAttached == 165)

        let received = try #require(await receiver.waitForFinished(filePath, timeout: 120), "the run finishes")
        #expect(received.code == 0 && received.verdict == .complete, "\(received.code.map(String.init) ?? "-") \(received.stderr ?? "")")
        let stream = try await receiver.stream(filePath)
        // Counted as bytes: bash's return values include 2^64-1, beyond what `streamLines` decodes.
        let entries = String(decoding: stream, as: UTF8.self).components(separatedBy: #"{"type": "value", "data": ["entry","#).count - 1
        #expect(entries > 1000, "a flood of events: \(entries)")
        // bpftrace writes two empty lines once END has run, before it prints what maps are left.
        #expect(stream.suffix(3) == Data("\n\n\n".utf8), "the tracer's own end: \(String(decoding: stream.suffix(200), as: UTF8.self))")
    }
}
