import EndpointCore
import Foundation
import Testing

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
        #expect(TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: Self.twoFiles) == golden)
        #expect(
            TracerProgram.probes(for: template, tracer: .bpf, lastingSeconds: 30, target: Self.twoFiles) == [
                "BEGIN", "uprobe:/proc/7/root/usr/bin/bash:xmalloc", "uretprobe:/proc/7/root/usr/bin/bash:xmalloc",
                "uprobe:/proc/9/root/bin/bash:xmalloc", "uretprobe:/proc/9/root/bin/bash:xmalloc", "interval:s:2", "interval:s:30",
            ]
        )
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

    @Test("A pid-filtered target compares pids")
    func pidFilter() {
        let target = ResolvedTarget(
            matches: [.init(kind: "pid", id: "1234", name: nil, cgroup: "/user.slice", cgroupIds: [5], pids: [1234])],
            filter: .pids,
            files: [.init(path: "/proc/1234/root/bin/bash", device: 1, inode: 2, pid: 1234, matches: ["1234"], identity: Self.someBuild)]
        )
        let text = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30, target: target)
        #expect(text.contains("uprobe:/proc/1234/root/bin/bash:xmalloc /pid == 1234/ { print((\"entry\""))
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
