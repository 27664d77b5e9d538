import EndpointTestSupport
import Foundation
import Testing

/// `GET /containers` of the real endpoint on this real host, with home-made containers
/// (`HomeMadeContainer`: real namespaces, a private root, real cgroup v2 directories
/// named as Docker and a kubelet name them) and a kubelet-style log-link directory.
@Suite("Containers on the real host: GET /containers", .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces"))
struct ContainerListingTests {
    static let podUID = "3f1c2a8e-5b7d-4e9f-a1c3-2b4d6e8f0a1c"

    @Test("Lists a Docker-named and a pod container with id, runtime, names, pod, cgroup, cgroup id and pids")
    func listsHomeMadeContainers() async throws {
        let docker = try HomeMadeContainer(naming: .dockerScope)
        defer { docker.remove() }
        let inPod = try HomeMadeContainer(naming: .kubernetesPod(uid: Self.podUID, qosClass: "burstable"))
        defer { inPod.remove() }
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-log-containers-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logs) }
        // As the kubelet leaves them: a link per container into /var/log/pods (not followed).
        try FileManager.default.createSymbolicLink(
            atPath: logs + "/shop-7d4b9c-x2x9z_prod_api-\(inPod.id).log",
            withDestinationPath: "/var/log/pods/prod_shop-7d4b9c-x2x9z_\(Self.podUID)/api/0.log"
        )
        let receiver = try await LiveReceiver()
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["container-log-dir": logs, "docker-data-root": logs + "/no-docker"])
        let listed = try endpoint.okAnswer(try await endpoint.request("GET", "/containers"), "GET /containers", as: [ContainerAnswer].self)

        let dockerAnswer = try #require(listed.first { $0.id == docker.id }, "the Docker-named container is listed: \(listed.map(\.id))")
        #expect(dockerAnswer.runtime == "docker")
        #expect(dockerAnswer.name == nil, "no Docker record: its name is unknown")
        #expect(dockerAnswer.pod == nil)
        #expect(dockerAnswer.cgroup == docker.cgroupPath)
        #expect(dockerAnswer.cgroupId == docker.cgroupId)
        #expect(dockerAnswer.pids == docker.pids)
        #expect(dockerAnswer.pids == [docker.initPid], "only the container's own process, not its launcher")

        let podAnswer = try #require(listed.first { $0.id == inPod.id }, "the pod's container is listed")
        #expect(podAnswer.runtime == "containerd")
        #expect(podAnswer.name == "api")
        #expect(podAnswer.pod?.name == "shop-7d4b9c-x2x9z" && podAnswer.pod?.namespace == "prod" && podAnswer.pod?.uid == Self.podUID)
        #expect(podAnswer.pod?.qosClass == "burstable")
        #expect(podAnswer.cgroup == inPod.cgroupPath)
        #expect(podAnswer.cgroupId == inPod.cgroupId)
        #expect(podAnswer.pids == [inPod.initPid])

        // A process started inside later is listed with it.
        let (_, execPid) = try docker.spawn(HomeMadeContainer.idleCommand)
        try await eventually("the exec'd process is in the container's cgroup") { docker.pids.contains(execPid) }
        let again = try endpoint.okAnswer(try await endpoint.request("GET", "/containers"), "GET /containers", as: [ContainerAnswer].self)
        #expect(again.first { $0.id == docker.id }?.pids == [docker.initPid, execPid].sorted())

        // Gone once removed: its cgroup and processes are.
        docker.remove()
        inPod.remove()
        #expect(!FileManager.default.fileExists(atPath: docker.cgroupDirectory) && !FileManager.default.fileExists(atPath: docker.rootDirectory))
        let after = try endpoint.okAnswer(try await endpoint.request("GET", "/containers"), "GET /containers", as: [ContainerAnswer].self)
        #expect(!after.contains { $0.id == docker.id || $0.id == inPod.id })
    }

    @Test("The home-made container is one: its own root, pid and mount namespaces, a bpftrace cgroupid() equal to its cgroup id")
    func homeMadeContainerIsReal() throws {
        let container = try HomeMadeContainer()
        defer { container.remove() }
        // bash alone is there: its own pid and the root's entries, by builtins only.
        let (status, output) = try container.run("echo $$; echo /*")
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && (Int(lines[0]) ?? 0) > 1 && (Int(lines[0]) ?? 0) < 100, "a pid of the container's namespace: \(output)")
        let rootEntries = try FileManager.default.contentsOfDirectory(atPath: container.rootDirectory).sorted().map { "/" + $0 }
        #expect(lines.last?.split(separator: " ").map(String.init) == rootEntries, "the root's own files: \(output)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(container.initPid)/root") == container.rootDirectory)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(container.initPid)/ns/pid")
                != FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        )
        let cgroupFile = try String(contentsOfFile: "/proc/\(container.initPid)/cgroup", encoding: .utf8)
        #expect(cgroupFile.contains("0::\(container.cgroupPath)\n"))
        // What the tracer filters on: bpftrace's cgroupid() of the directory is its inode.
        let program = #"BEGIN { printf("%llu\n", cgroupid("\#(container.cgroupDirectory)")); exit(); }"#
        let (bpfStatus, bpfOutput) = try runCommand("/usr/bin/bpftrace", ["-e", program])
        #expect(bpfStatus == 0, "\(bpfOutput)")
        let cgroupId = try #require(container.cgroupId)
        #expect(bpfOutput.split(separator: "\n").contains("\(cgroupId)"), "\(bpfOutput)")
    }
}
