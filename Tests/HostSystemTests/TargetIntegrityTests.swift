import EndpointTestSupport
import Foundation
import HostSystem
import Testing
import TraceModel

/// What a target must not do on a host made of files (`FakeHostTree`): trace another
/// container than the one named (a container's sub-cgroup named after another's id), or
/// find less than it asked without saying so (processes outside the endpoint's cgroup
/// namespace, sub-cgroups past `CgroupTree.maxSubtreeDirectories`).
@Suite("Targets: a borrowed container id, an unseen cgroup namespace, a subtree past the cap")
struct TargetIntegrityTests {
    static let victimId = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
    static let attackerId = "bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0"
    static let victimCgroup = "/system.slice/docker-\(victimId).scope"
    static let attackerCgroup = "/system.slice/docker-\(attackerId).scope"
    /// What a container allowed to make cgroups below its own can make: a scope named
    /// after the victim's id, inside its own.
    static let borrowedCgroup = attackerCgroup + "/docker-\(victimId).scope"

    /// The attacker (300) with a process (301, a lower pid than the victim's) in the
    /// scope it named after the victim (400).
    static func borrowingHost() throws -> FakeHostTree {
        let tree = try FakeHostTree()
        try tree.addProcess(300, cgroup: attackerCgroup)
        try tree.addProcess(301, cgroup: borrowedCgroup)
        try tree.addProcess(400, cgroup: victimCgroup)
        return tree
    }

    func refusal(_ tree: FakeHostTree, _ target: TargetRequest) -> StartRefusal? {
        TargetResolverTests().refusal(tree, target)
    }

    @Test("An id under two unrelated cgroups is a conflict: both listed, each naming the other; the attacker keeps its own")
    func borrowedIdIsListedAsConflict() throws {
        let tree = try Self.borrowingHost()
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        let victims = snapshot.containers.filter { $0.id == Self.victimId }
        #expect(victims.map(\.cgroup) == [Self.victimCgroup, Self.borrowedCgroup], "one entry per cgroup, by path")
        #expect(victims.map(\.pids) == [[400], [301]])
        #expect(victims.map(\.conflict) == [[Self.borrowedCgroup], [Self.victimCgroup]])
        let attacker = try #require(snapshot.containers.first { $0.id == Self.attackerId })
        #expect(attacker.conflict == nil && attacker.pids == [300] && attacker.cgroup == Self.attackerCgroup)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let victim = try #require(victims.first { $0.cgroup == Self.victimCgroup })
        let json = String(decoding: try encoder.encode(victim), as: UTF8.self)
        #expect(json.contains(#""conflict":["\#(Self.borrowedCgroup)"]"#), "\(json)")
        #expect(String(decoding: try encoder.encode(attacker), as: UTF8.self).contains(#""conflict":null"#))
    }

    @Test("A target on a conflicting id is 409 naming both cgroups, by full id, by prefix and through a pod glob")
    func targetOnConflictIsRefused() throws {
        let tree = try Self.borrowingHost()
        let expected =
            "target: container \(Self.victimId) is claimed by 2 unrelated cgroups (\(Self.victimCgroup), \(Self.borrowedCgroup)): a container can name a cgroup of its own after another's id, so neither is traced"
        for asked in [Self.victimId, String(Self.victimId.prefix(12))] {
            let refused = refusal(tree, .container(idOrPrefix: asked))
            #expect(refused?.answer == .conflict, "\(asked): \(String(describing: refused))")
            #expect(refused?.message == expected)
        }
        // The attacker's own id still resolves, to its own cgroup and what is below it.
        let attacker = try TargetResolver(snapshot: ContainerInventory(locations: tree.locations).readSnapshot(), maxTargets: 64)
            .resolve(.container(idOrPrefix: Self.attackerId))
        #expect(attacker.matches.map(\.cgroup) == [Self.attackerCgroup])

        // In pods: the borrowed scope takes the victim's names from its log link.
        let pods = try FakeHostTree()
        let attackerPod = "/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-\(Self.attackerId).scope"
        let victimPod = "/kubepods.slice/kubepods-pod66666666_7777_8888_9999_000000000000.slice/cri-containerd-\(Self.victimId).scope"
        try pods.addProcess(300, cgroup: attackerPod)
        try pods.addProcess(301, cgroup: attackerPod + "/cri-containerd-\(Self.victimId).scope")
        try pods.addProcess(400, cgroup: victimPod)
        try pods.addLogLink("bank-1_prod_ledger-\(Self.victimId).log")
        let refused = refusal(pods, .pod(pod: NameGlob("bank-*"), namespace: nil, container: nil))
        #expect(refused?.answer == .conflict, "\(String(describing: refused))")
        #expect(refused?.message.contains("\(attackerPod)/cri-containerd-\(Self.victimId).scope, \(victimPod)") == true)
    }

    @Test("A container's own id again below its cgroup is no conflict: one container, at the outer cgroup, with every process")
    func sameIdNestedInItself() throws {
        let tree = try FakeHostTree()
        let inner = Self.victimCgroup + "/inner/docker-\(Self.victimId).scope"
        try tree.addProcess(5, cgroup: inner)
        try tree.addProcess(10, cgroup: Self.victimCgroup)
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        #expect(snapshot.containers.map(\.cgroup) == [Self.victimCgroup])
        #expect(snapshot.containers.first?.pids == [5, 10])
        #expect(snapshot.containers.first?.conflict == nil)
    }

    @Test("Processes outside the endpoint's cgroup namespace ('..' paths): counted, and a target finding nothing says why")
    func privateCgroupNamespace() throws {
        let tree = try FakeHostTree()
        // What a pod without the host's cgroup namespace reads: its own cgroup is `/`,
        // every other process's is relative to it.
        try tree.addProcess(1, cgroup: "/", makeCgroup: false)
        try tree.addProcess(50, cgroup: "/../../system.slice/docker-\(Self.victimId).scope", makeCgroup: false)
        try tree.addProcess(51, cgroup: "/../../system.slice/ssh.service", makeCgroup: false)
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        #expect(snapshot.containers.isEmpty)
        #expect(snapshot.processesOutsideCgroupNamespace == 2)
        let refused = refusal(tree, .container(idOrPrefix: Self.victimId))
        #expect(
            refused?.message
                == "target: no container \(Self.victimId) on this host; 2 processes have cgroups outside the endpoint's cgroup namespace (paths with '..'), so their containers cannot be seen: run the endpoint in the host's cgroup namespace"
        )
        #expect(refused?.answer == .notFound)
        // A pid there is still a pid, but its cgroup is nobody's to name: no id for it.
        let pid = try TargetResolver(snapshot: snapshot, maxTargets: 64).resolve(.pid(50))
        #expect(pid.matches.first?.cgroupId == nil)
        #expect(pid.processesOutsideCgroupNamespace == 2)
    }

    @Test("A subtree past the cap: the first 4,096 cgroups filtered, the rest counted as untraced")
    func subtreePastTheCap() throws {
        let tree = try FakeHostTree()
        let big = "/system.slice/docker-\(Self.victimId).scope"
        try tree.addProcess(10, cgroup: big)
        // 4,100 below it, 4,101 with it: 5 past the cap.
        for index in 0..<4100 { try tree.addCgroup("\(big)/c\(index / 100)/s\(index % 100)") }
        let extra = 4100 / 100
        let total = 1 + 4100 + extra
        let snapshot = ContainerInventory(locations: tree.locations).readSnapshot()
        let container = try #require(snapshot.containers.first)
        #expect(container.subtreeCgroupIds.count == CgroupTree.maxSubtreeDirectories)
        #expect(container.untracedSubCgroups == total - CgroupTree.maxSubtreeDirectories)
        let resolved = try TargetResolver(snapshot: snapshot, maxTargets: 64).resolve(.container(idOrPrefix: Self.victimId))
        #expect(resolved.matches.first?.untracedSubCgroups == total - CgroupTree.maxSubtreeDirectories)
        #expect(
            resolved.warnings == [
                "container \(Self.victimId) has \(total - 1) cgroups below its own, more than the \(CgroupTree.maxSubtreeDirectories) a filter holds: \(total - CgroupTree.maxSubtreeDirectories) of them are not traced"
            ]
        )
    }
}
