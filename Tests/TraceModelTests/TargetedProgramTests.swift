import EndpointTestSupport
import Foundation
import Testing
import TraceModel

@Suite("Tracer programs for targets, and the stream's target lines")
struct TargetedProgramTests {
    static let dockerId = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
    static let apiId = "605439acbd4fb18c145069289094b17f17e0cfa938f78012d4960bc797305f22"
    let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])

    /// Two containers, two distinct files: one probe set each, one predicate of every
    /// cgroup id of both subtrees, the cgroup id at the end of each event.
    static let twoFiles = ResolvedTarget(
        matches: [
            .init(kind: "container", id: dockerId, name: nil, cgroup: "/d", cgroupIds: [101, 82], pids: [7]),
            .init(kind: "container", id: apiId, name: "api", pod: "shop-1", namespace: "prod", cgroup: "/p", cgroupIds: [90], pids: [9]),
        ],
        filter: .cgroup,
        files: [
            .init(path: "/proc/7/root/usr/bin/bash", device: 1, inode: 2, pid: 7, matches: [dockerId], identity: Self.someBuild),
            .init(path: "/proc/9/root/bin/bash", device: 1, inode: 3, pid: 9, matches: [apiId], identity: Self.someBuild),
        ]
    )

    /// What the files' builds are does not change the program.
    static let someBuild = BinaryIdentity(buildId: nil, sha256: String(repeating: "a", count: 64), size: 1)

    @Test("bpftrace program of a cgroup-filtered target with two files: golden text, and the probe count")
    func cgroupGolden() {
        let golden = """
            BEGIN { print(("ready", nsecs)); }
            uprobe:/proc/7/root/usr/bin/bash:xmalloc /cgroup == 82 || cgroup == 90 || cgroup == 101/ { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs, cgroup)); }
            uretprobe:/proc/7/root/usr/bin/bash:xmalloc /cgroup == 82 || cgroup == 90 || cgroup == 101/ { print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval, cgroup)); }
            uprobe:/proc/9/root/bin/bash:xmalloc /cgroup == 82 || cgroup == 90 || cgroup == 101/ { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs, cgroup)); }
            uretprobe:/proc/9/root/bin/bash:xmalloc /cgroup == 82 || cgroup == 90 || cgroup == 101/ { print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval, cgroup)); }
            interval:s:2 { print(("alive", nsecs)); }
            interval:s:30 { exit(); }

            """
        expectProgram(
            of: Self.twoFiles,
            golden,
            probes: [
                "BEGIN", "uprobe:/proc/7/root/usr/bin/bash:xmalloc", "uretprobe:/proc/7/root/usr/bin/bash:xmalloc",
                "uprobe:/proc/9/root/bin/bash:xmalloc", "uretprobe:/proc/9/root/bin/bash:xmalloc", "interval:s:2", "interval:s:30",
            ]
        )
    }

    /// `target`'s program (no rate bound, lasting 30 s) is `golden`, and bpftrace counts `probes` in it.
    func expectProgram(of target: ResolvedTarget, _ golden: String, probes: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: target) == golden, sourceLocation: sourceLocation)
        #expect(TracerProgram.probes(for: template, tracer: .bpf, lastingSeconds: 30, target: target) == probes, sourceLocation: sourceLocation)
    }

    @Test(
        "With a rate bound a targeted probe counts every fire, then prints only the target's: the filter is an `if` after the count, not a predicate that skips it"
    )
    func rateBoundCountsBeforeTheFilter() {
        let bound = EventRateBound(maxEventsPerSecond: 1000, seconds: 3, windowSeconds: 10)
        let lines = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: Self.twoFiles, rateBound: bound)
            .split(separator: "\n")
        #expect(
            lines[1]
                == #"uprobe:/proc/7/root/usr/bin/bash:xmalloc { \#(bound.countStatement) if (cgroup == 82 || cgroup == 90 || cgroup == 101) { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs, cgroup)); } }"#
        )
        #expect(
            lines.filter { $0.hasPrefix("uprobe:") || $0.hasPrefix("uretprobe:") }.allSatisfy {
                $0.contains(" { \(bound.countStatement) if (cgroup == 82")
            }
        )
    }

    static let pidTarget = ResolvedTarget(
        matches: [.init(kind: "pid", id: "1234", name: nil, cgroup: "/user.slice", cgroupIds: [5], pids: [1234])],
        filter: .pids,
        files: [.init(path: "/proc/1234/root/bin/bash", device: 1, inode: 2, pid: 1234, matches: ["1234"], identity: Self.someBuild)]
    )

    @Test(
        "A pid-filtered target compares pids until its process exits: the last thread's sched_process_exit marks the pid, every probe's filter requires it unmarked, END clears the mark; golden text and probe count"
    )
    func pidFilter() {
        let golden = """
            BEGIN { print(("ready", nsecs)); }
            tracepoint:sched:sched_process_exit /(pid == 1234) && curtask->signal->live.counter == 0/ { @lambda_exited[pid] = 1; }
            uprobe:/proc/1234/root/bin/bash:xmalloc /(pid == 1234) && @lambda_exited[pid] == 0/ { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs, cgroup)); }
            uretprobe:/proc/1234/root/bin/bash:xmalloc /(pid == 1234) && @lambda_exited[pid] == 0/ { print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval, cgroup)); }
            interval:s:2 { print(("alive", nsecs)); }
            interval:s:30 { exit(); }
            END { clear(@lambda_exited); }

            """
        expectProgram(
            of: Self.pidTarget,
            golden,
            probes: [
                "BEGIN", "tracepoint:sched:sched_process_exit", "uprobe:/proc/1234/root/bin/bash:xmalloc",
                "uretprobe:/proc/1234/root/bin/bash:xmalloc", "interval:s:2", "interval:s:30", "END",
            ]
        )
    }

    @Test(
        "A pid filter with a rate bound: the exit probe is not counted, each event probe counts then tests pid and mark, one END clears both the mark and the bound's maps"
    )
    func pidFilterWithRateBound() {
        let bound = EventRateBound(maxEventsPerSecond: 1000, seconds: 3, windowSeconds: 10)
        let lines = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: Self.pidTarget, rateBound: bound)
            .split(separator: "\n").map(String.init)
        #expect(lines[1] == "tracepoint:sched:sched_process_exit /(pid == 1234) && curtask->signal->live.counter == 0/ { @lambda_exited[pid] = 1; }")
        #expect(
            lines[2]
                == #"uprobe:/proc/1234/root/bin/bash:xmalloc { \#(bound.countStatement) if ((pid == 1234) && @lambda_exited[pid] == 0) { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs, cgroup)); } }"#
        )
        #expect(
            lines.filter { $0.hasPrefix("END ") } == [
                "END { clear(@lambda_exited); clear(@lambda_hits); clear(@lambda_events); clear(@lambda_window); clear(@lambda_over); }"
            ]
        )
    }

    @Test("bpftrace accepts a pid target's program, with and without a rate bound (`-d`: compiled, not attached), without a warning")
    func pidFilterCompiles() throws {
        var target = Self.pidTarget
        target.files[0].path = "/bin/bash"
        for bound in [nil, EventRateBound(maxEventsPerSecond: 100_000, seconds: 5, windowSeconds: 10)] {
            let program = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 5, target: target, rateBound: bound)
            let (code, output) = try runCommand("/usr/bin/bpftrace", ["-d", "-e", program])
            #expect(code == 0, "\(output.suffix(2000))")
            #expect(!output.contains("WARNING"), "\(output.suffix(2000))")
        }
    }

    @Test("Several pids (a target without cgroup v2 ids): one exit probe for all, a mark per pid; a cgroup filter has no exit probe")
    func severalPidsOneExitProbe() {
        var target = Self.pidTarget
        target.matches = [.init(kind: "cgroup", id: "/a", name: nil, cgroup: "/a", cgroupIds: [], pids: [34, 12, 34])]
        let text = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: target)
        #expect(
            text.contains(
                "\ntracepoint:sched:sched_process_exit /(pid == 12 || pid == 34) && curtask->signal->live.counter == 0/ { @lambda_exited[pid] = 1; }\n"
            )
        )
        #expect(text.contains("uprobe:/proc/1234/root/bin/bash:xmalloc /(pid == 12 || pid == 34) && @lambda_exited[pid] == 0/ {"))
        #expect(!TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: Self.twoFiles).contains("lambda_exited"))
    }

    @Test("Target lines: one per match in bpftrace's tuple shape, null where unknown, names escaped")
    func streamLines() {
        var target = Self.twoFiles
        target.matches.append(.init(kind: "cgroup", id: "/a\"b", name: nil, cgroup: "/a\"b", cgroupIds: [], pids: [3]))
        let text = String(decoding: TargetStreamLines.bytes(for: target), as: UTF8.self)
        #expect(
            text == """
                {"type": "value", "data": ["target","container","\(Self.dockerId)",null,101]}
                {"type": "value", "data": ["target","container","\(Self.apiId)","api",90]}
                {"type": "value", "data": ["target","cgroup","/a\\"b",null,null]}

                """
        )
        for line in text.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line) is JSON")
        }
    }
}
