import Foundation
import HostSystem
import Testing
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

@Suite("Analysis availability, checked on a host")
struct TracingHostTests {
    /// A stand-in for tracefs, the perf PMU directory and the BTF file, holding every
    /// tracepoint the catalogue needs but `missing`, and uprobes/kprobes as asked.
    struct FakeHost {
        let root: String

        init(missing: [Tracepoint] = [], tracefs: Bool = true, uprobes: Bool = true, kprobes: Bool = false, btf: Bool = true) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("tracing-host-\(UUID().uuidString)").path
            let manager = FileManager.default
            try manager.createDirectory(atPath: root + "/devices", withIntermediateDirectories: true)
            if tracefs {
                try manager.createDirectory(atPath: root + "/tracing/events", withIntermediateDirectories: true)
                for tracepoint in Set(AnalysisCatalogue.all.flatMap(\.requirements.tracepoints)) where !missing.contains(tracepoint) {
                    try manager.createDirectory(
                        atPath: "\(root)/tracing/events/\(tracepoint.category)/\(tracepoint.name)",
                        withIntermediateDirectories: true
                    )
                }
                if kprobes { manager.createFile(atPath: root + "/tracing/kprobe_events", contents: Data()) }
            }
            if uprobes { try manager.createDirectory(atPath: root + "/devices/uprobe", withIntermediateDirectories: true) }
            if btf { manager.createFile(atPath: root + "/vmlinux", contents: Data()) }
        }

        func host(tracer: String = "/usr/bin/bpftrace", perf: PerfEventSampling.Outcome = .works("fake")) -> TracingHost {
            TracingHost(
                tracerPath: tracer,
                tracefsPath: root + "/tracing",
                eventSourcePath: root + "/devices",
                kernelBTFPath: root + "/vmlinux",
                perfEventSampling: { perf }
            )
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    func reasons(_ host: TracingHost) -> [String: String] {
        var reasons: [String: String] = [:]
        for availability in host.availability(of: AnalysisCatalogue.all) where !availability.isAvailable {
            reasons[availability.name] = availability.unavailableReason
        }
        return reasons
    }

    @Test("Everything present but kprobes: every analysis available except vfs-latency, which says why")
    func allButKprobes() throws {
        let fake = try FakeHost()
        defer { fake.remove() }
        #expect(
            reasons(fake.host()) == [
                "vfs-latency": "this kernel has no kprobes (neither \(fake.root)/tracing/kprobe_events nor \(fake.root)/devices/kprobe exists)"
            ]
        )
        let withKprobes = try FakeHost(kprobes: true)
        defer { withKprobes.remove() }
        #expect(reasons(withKprobes.host()) == [:])
    }

    @Test("A missing tracepoint makes exactly the analyses that need it unavailable, naming it and its path")
    func missingTracepoint() throws {
        let fake = try FakeHost(missing: [Tracepoint("sched", "sched_switch")], kprobes: true)
        defer { fake.remove() }
        let reason = "this kernel has no tracepoint sched:sched_switch (no \(fake.root)/tracing/events/sched/sched_switch)"
        #expect(reasons(fake.host()) == ["off-cpu": reason])
        let listing = AnalysisListing.catalogue(on: fake.host()).first { $0.name == "off-cpu" }
        #expect(listing?.available == false && listing?.unavailable == reason)
        #expect(AnalysisListing.catalogue(on: fake.host()).first { $0.name == "exec" }?.unavailable == nil)
    }

    @Test("No tracefs: one reason for every analysis that needs a tracepoint; the others stay available")
    func noTracefs() throws {
        let fake = try FakeHost(tracefs: false)
        defer { fake.remove() }
        let reasons = reasons(fake.host())
        let tracefs = "tracefs is not mounted at \(fake.root)/tracing (no \(fake.root)/tracing/events; tracefs-path)"
        for analysis in AnalysisCatalogue.all where !analysis.requirements.tracepoints.isEmpty {
            #expect(reasons[analysis.name] == tracefs, "\(analysis.name)")
        }
        #expect(reasons["cpu-profile"] == nil && reasons["function-latency"] == nil)
    }

    @Test("Each other requirement unmet gives its own reason, all reasons of an analysis joined")
    func otherRequirements() throws {
        let fake = try FakeHost(uprobes: false, btf: false)
        defer { fake.remove() }
        let host = fake.host(perf: .refused("perf_event_open of a cpu-clock sampling event failed: No such device"))
        let found = reasons(host)
        #expect(
            found["function-latency"]
                == "this kernel has no uprobes (neither \(fake.root)/tracing/uprobe_events nor \(fake.root)/devices/uprobe exists)"
        )
        #expect(found["cpu-profile"] == "perf events cannot sample here: perf_event_open of a cpu-clock sampling event failed: No such device")
        #expect(found["exec"] == "the kernel has no BTF (no \(fake.root)/vmlinux), which the program needs to read kernel structures")
        #expect(found["syscalls"] == nil)
        let noTracer = reasons(fake.host(tracer: "/nonexistent/bpftrace", perf: .refused("x")))
        #expect(noTracer.count == AnalysisCatalogue.all.count, "nothing runs without the tracer")
        #expect(noTracer["syscalls"] == "the tracer /nonexistent/bpftrace (bpf-path) is not an executable file")
        #expect(noTracer["cpu-profile"] == "the tracer /nonexistent/bpftrace (bpf-path) is not an executable file; perf events cannot sample here: x")
    }

    @Test("Perf events are opened only when an analysis samples")
    func perfOpenedOnDemand() throws {
        let fake = try FakeHost()
        defer { fake.remove() }
        let host = TracingHost(
            tracerPath: "/usr/bin/bpftrace",
            tracefsPath: fake.root + "/tracing",
            eventSourcePath: fake.root + "/devices",
            kernelBTFPath: fake.root + "/vmlinux",
            perfEventSampling: {
                Issue.record("perf checked for an analysis that does not sample")
                return .works("")
            }
        )
        #expect(host.availability(of: try #require(AnalysisCatalogue.named("syscalls"))).isAvailable)
    }

    @Test("This machine: tracefs at /sys/kernel/tracing holds every tracepoint the catalogue needs; perf events sample (as root)")
    func realHost() throws {
        let host = TracingHost(tracerPath: "/usr/bin/bpftrace", tracefsPath: "/sys/kernel/tracing")
        let kprobes =
            FileManager.default.fileExists(atPath: "/sys/kernel/tracing/kprobe_events")
            || FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe")
        for availability in host.availability(of: AnalysisCatalogue.all) {
            if AnalysisCatalogue.named(availability.name)?.requirements.kprobes == true, !kprobes {
                #expect(availability.unmet == [.kprobesMissing(tracefsPath: "/sys/kernel/tracing", eventSourcePath: "/sys/bus/event_source/devices")])
            } else {
                #expect(availability.isAvailable, "\(availability.name): \(availability.unavailableReason ?? "")")
            }
        }
        if geteuid() == 0 {
            guard case .works(let detail) = PerfEventSampling.check() else {
                Issue.record("perf events refused as root")
                return
            }
            #expect(detail.contains("opened"))
        }
    }

    @Test("A refused perf event: an unprivileged user's EACCES still counts (the tracer is root); root's, or a missing event, does not")
    func perfOutcomes() {
        #expect(
            PerfEventSampling.outcome(ofError: EACCES, isRoot: false, paranoid: "2\n")
                == .works(
                    "perf_event_open of a cpu-clock sampling event failed: Permission denied (perf_event_paranoid 2) for this unprivileged user; the tracer runs as root, which may open it"
                )
        )
        #expect(
            PerfEventSampling.outcome(ofError: EPERM, isRoot: true, paranoid: nil)
                == .refused(
                    "perf_event_open of a cpu-clock sampling event failed: Operation not permitted"
                )
        )
        #expect(
            PerfEventSampling.outcome(ofError: ENOSYS, isRoot: true, paranoid: nil)
                == .refused(
                    "perf_event_open of a cpu-clock sampling event failed: Function not implemented (this kernel has no perf events)"
                )
        )
        #expect(
            PerfEventSampling.outcome(ofError: ENODEV, isRoot: false, paranoid: "2")
                == .refused(
                    "perf_event_open of a cpu-clock sampling event failed: No such device (this kernel cannot sample with cpu-clock)"
                )
        )
    }

    @Test("The operator's table: name, available, one line of description, then why each unavailable one is not")
    func table() throws {
        let fake = try FakeHost(missing: [Tracepoint("sock", "inet_sock_set_state")])
        defer { fake.remove() }
        let lines = AnalysisTable.lines(AnalysisListing.catalogue(on: fake.host()))
        #expect(lines.first == "NAME              AVAILABLE  DESCRIPTION")
        #expect(lines.contains("syscalls          yes        System calls counted by process and system call, printed every interval."))
        #expect(lines.contains("tcp               no         TCP state changes: addresses, ports, old and new state."))
        #expect(lines.count == 1 + AnalysisCatalogue.all.count + 1 + 2)
        #expect(
            lines.suffix(2) == [
                "tcp is not available: this kernel has no tracepoint sock:inet_sock_set_state (no \(fake.root)/tracing/events/sock/inet_sock_set_state)",
                "vfs-latency is not available: this kernel has no kprobes (neither \(fake.root)/tracing/kprobe_events nor \(fake.root)/devices/kprobe exists)",
            ]
        )
    }
}
