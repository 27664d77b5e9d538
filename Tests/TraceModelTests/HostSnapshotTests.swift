import Testing
import TraceModel

@Suite("HostSnapshot: containers by id prefix and pod globs, processes by cgroup")
struct HostSnapshotTests {
    static let webId = "aaaaaaaaaaaa1111" + String(repeating: "0", count: 48)
    static let apiId = "aaaaaaaaaaaa2222" + String(repeating: "0", count: 48)
    static let pauseId = "bbbbbbbbbbbb" + String(repeating: "1", count: 52)
    static let dockerId = "cccccccccccc" + String(repeating: "2", count: 52)

    static func pod(_ name: String?, _ namespace: String?) -> HostContainer.Pod {
        HostContainer.Pod(name: name, namespace: namespace, uid: "5a1d1140-a486-478c-afae-bbc975ff9c3b", qosClass: .burstable)
    }

    static let snapshot = HostSnapshot(
        cgroupMount: "/sys/fs/cgroup",
        containers: [
            HostContainer(
                id: webId,
                runtime: .containerd,
                name: "web",
                pod: pod("shop-1", "prod"),
                cgroup: "/k/web",
                subtreeCgroupIds: [10],
                pids: [10]
            ),
            HostContainer(
                id: apiId,
                runtime: .containerd,
                name: "api",
                pod: pod("shop-1", "prod"),
                cgroup: "/k/api",
                subtreeCgroupIds: [11],
                pids: [11]
            ),
            HostContainer(
                id: pauseId,
                runtime: .containerd,
                name: nil,
                pod: pod("shop-1", "prod"),
                cgroup: "/k/pause",
                subtreeCgroupIds: [12],
                pids: [12]
            ),
            HostContainer(
                id: dockerId,
                runtime: .docker,
                name: "web",
                pod: nil,
                cgroup: "/system.slice/docker-x.scope",
                subtreeCgroupIds: [],
                pids: [20]
            ),
        ],
        processCgroups: [
            1: "/init.scope", 10: "/k/web", 11: "/k/api", 12: "/k/pause", 13: "/k/web/sub", 14: "/k/webfront", 20: "/system.slice/docker-x.scope",
        ]
    )

    @Test("A full id or a unique prefix of 12 or more finds its container; a shared prefix is ambiguous")
    func lookups() throws {
        let snapshot = Self.snapshot
        #expect(snapshot.container(idOrPrefix: Self.webId) == .found(snapshot.containers[0]))
        #expect(snapshot.container(idOrPrefix: "aaaaaaaaaaaa1") == .found(snapshot.containers[0]))
        #expect(snapshot.container(idOrPrefix: "AAAAAAAAAAAA2") == .found(snapshot.containers[1]))
        #expect(snapshot.container(idOrPrefix: "aaaaaaaaaaaa") == .ambiguous([snapshot.containers[0], snapshot.containers[1]]))
        #expect(snapshot.container(idOrPrefix: "dddddddddddd") == .notFound)
        #expect(snapshot.container(idOrPrefix: "aaaaaaaaaaa") == .notAnId)
        #expect(snapshot.container(idOrPrefix: "aaaaaaaaaaaz") == .notAnId)
        #expect(snapshot.container(idOrPrefix: Self.webId + "0") == .notAnId)
    }

    @Test("Pod globs match the containers of pods; a nameless container only a glob of stars")
    func podGlobs() {
        let snapshot = Self.snapshot
        func ids(_ pod: String?, _ namespace: String?, _ container: String?) -> [String] {
            snapshot.containers(pod: pod.map(NameGlob.init), namespace: namespace.map(NameGlob.init), container: container.map(NameGlob.init)).map(
                \.id
            )
        }
        #expect(ids("shop-*", nil, nil) == [Self.webId, Self.apiId, Self.pauseId])
        #expect(ids(nil, "prod", "web") == [Self.webId])
        #expect(ids("shop-?", "prod", "*") == [Self.webId, Self.apiId, Self.pauseId])
        #expect(ids("shop-1", "prod", "?*") == [Self.webId, Self.apiId])
        #expect(ids("*", "dev", nil) == [])
        #expect(ids(nil, "*", "web") == [Self.webId], "a container outside pods is never a pod's")
    }

    @Test("Processes of a cgroup are those in it and below, not in a sibling with a longer name")
    func processesInCgroup() {
        #expect(Self.snapshot.processes(inCgroup: "/k/web") == [10, 13])
        #expect(Self.snapshot.processes(inCgroup: "/k/web/") == [10, 13])
        #expect(Self.snapshot.processes(inCgroup: "/k") == [10, 11, 12, 13, 14])
        #expect(Self.snapshot.processes(inCgroup: "/") == [1, 10, 11, 12, 13, 14, 20])
        #expect(Self.snapshot.processes(inCgroup: "/nothing") == [])
        #expect(Self.snapshot.directory(ofCgroup: "/k/web") == "/sys/fs/cgroup/k/web")
    }
}
