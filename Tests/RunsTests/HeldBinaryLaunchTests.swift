import EndpointTestSupport
import Foundation
import HostSystem
import Logging
import Submitter
import Testing
import TraceModel

@testable import Runs

/// The files a start checked, held open to the tracer's launch (`HeldBinaries`): the
/// program names them by descriptor, they are checked again right before the launch,
/// and closed once the tracer's probes are live. The supervisor driven directly, with a
/// fake tracer (it prints `ready` and waits) and a real copy of bash.
@Suite("Held binaries at launch", .serialized)
struct HeldBinaryLaunchTests {
    let directory: TestConfigDirectory
    let supervisor: RunSupervisor
    let program: String

    init() throws {
        directory = try TestConfigDirectory()
        supervisor = try fakeTracerSupervisor(in: directory)
        program = directory.path + "/bash"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: program)
    }

    /// A start's request for the copy, its file held as a start's checks leave it.
    func request() throws -> (RunRequest, HeldBinaries, descriptorPath: String) {
        let held = HeldBinaries()
        let file = try BinaryFile(path: program)
        held.hold(file, naming: program)
        let request = RunRequest(
            template: TraceTemplate(process: program, functions: ["xmalloc"], traceType: ["BPF"]),
            tracer: .bpf,
            lastingSeconds: 30,
            heldBinaries: held
        )
        return (request, held, file.descriptorPath)
    }

    @Test("The program names the held file by the endpoint's descriptor, and the descriptor is closed once the tracer printed ready")
    func programNamesDescriptor() async throws {
        defer { directory.remove() }
        let (request, held, descriptorPath) = try request()
        #expect(descriptorPath.hasPrefix("/proc/\(getpid())/fd/"))
        let filePath = try await supervisor.start(request).filePath
        let text = try String(contentsOfFile: TracerProgramFile.path(forRun: filePath, tracer: .bpf), encoding: .utf8)
        #expect(text.contains("uprobe:\(descriptorPath):xmalloc") && text.contains("uretprobe:\(descriptorPath):xmalloc"), "\(text)")
        #expect(!text.contains(program))
        #expect(request.expectedProbes?.contains("uprobe:\(program):xmalloc") == true, "the run's own view names the path")
        try await eventually("the held descriptors released once the tracer is ready", poll: .milliseconds(20)) { held.count == 0 }
        await supervisor.kill(filePath: filePath)
        try await eventually("the killed run has exited") { await supervisor.status(filePath: filePath)?.exitCode != nil }
    }

    @Test("A held file written to between the start's checks and the launch (mtime set back): refused 409, nothing runs")
    func rewrittenBeforeLaunch() async throws {
        defer { directory.remove() }
        let (request, _, _) = try request()
        var before = stat()
        #expect(stat(program, &before) == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: program))
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data([0xde, 0xad, 0xbe, 0xef]))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, program, &times, 0) == 0)
        do {
            _ = try await supervisor.start(request)
            Issue.record("the start was not refused")
        } catch {
            #expect(error == .binaryChangedBeforeLaunch(process: program))
            #expect(error.answer == .conflict)
            #expect(
                error.message
                    == "process: '\(program)' was written to between the start's check of its build and the tracer's launch; start again to check the new build"
            )
        }
        #expect(await supervisor.activeRuns().isEmpty)
    }
}
