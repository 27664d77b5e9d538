import Testing
import TraceModel

/// The cgroup v2 paths of real hosts, as runtimes and the kubelet name them (shapes
/// gathered from cadvisor, Pixie's and Falco's cgroup resolvers and their tests, CRI-O's
/// cgroup managers, Podman's and nerdctl's issues), and paths that must not be read as
/// containers.
@Suite("ContainerCgroupPath: container, runtime and pod from a cgroup path")
struct ContainerCgroupPathTests {
    static let id = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
    static let outer = "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"

    struct Shape: CustomTestStringConvertible, Sendable {
        let what: String
        let path: String
        /// nil: no container.
        let expected: ContainerCgroupPath?
        var testDescription: String { "\(what): \(path)" }
    }

    static func shape(
        _ what: String,
        _ path: String,
        runtime: ContainerRuntime?,
        id: String = Self.id,
        cgroup: String? = nil,
        pod: PodCgroup? = nil
    ) -> Shape {
        Shape(what: what, path: path, expected: ContainerCgroupPath(containerId: id, runtime: runtime, containerCgroup: cgroup ?? path, pod: pod))
    }

    static func none(_ what: String, _ path: String) -> Shape { Shape(what: what, path: path, expected: nil) }

    static let burstablePod = PodCgroup(uid: "5a1d1140-a486-478c-afae-bbc975ff9c3b", qosClass: .burstable)

    static let containers: [Shape] = [
        shape("Docker, systemd driver", "/system.slice/docker-\(id).scope", runtime: .docker),
        shape("Docker, cgroupfs driver", "/docker/\(id)", runtime: .docker),
        shape(
            "Docker running systemd inside (its init.scope is the container's)",
            "/system.slice/docker-\(id).scope/init.scope",
            runtime: .docker,
            cgroup: "/system.slice/docker-\(id).scope"
        ),
        shape(
            "a service of the systemd inside a Docker container",
            "/system.slice/docker-\(id).scope/system.slice/nginx.service",
            runtime: .docker,
            cgroup: "/system.slice/docker-\(id).scope"
        ),
        shape("Docker in Docker, cgroupfs: the inner one", "/docker/\(outer)/docker/\(id)", runtime: .docker),
        shape("Docker in Docker, systemd outside", "/system.slice/docker-\(outer).scope/docker/\(id)", runtime: .docker),
        shape("rootless Docker", "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-\(id).scope", runtime: .docker),
        shape(
            "kubelet systemd driver, containerd, burstable",
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice/cri-containerd-\(id).scope",
            runtime: .containerd,
            pod: burstablePod
        ),
        shape(
            "kubelet systemd driver, CRI-O, besteffort",
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod15b6301f_94d0_44ac_a2a8_6816c7a3fa32.slice/crio-\(id).scope",
            runtime: .crio,
            pod: PodCgroup(uid: "15b6301f-94d0-44ac-a2a8-6816c7a3fa32", qosClass: .besteffort)
        ),
        shape(
            "kubelet systemd driver, cri-dockerd, guaranteed (no QoS level)",
            "/kubepods.slice/kubepods-pod8dbc5577_d0e2_4706_8787_57d52c03ddf2.slice/docker-\(id).scope",
            runtime: .docker,
            pod: PodCgroup(uid: "8dbc5577-d0e2-4706-8787-57d52c03ddf2", qosClass: .guaranteed)
        ),
        shape(
            "kubelet with --cgroup-root=/kubelet (kind)",
            "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod1544eb37_e4f7_49eb_8cc4_3d01c41be77b.slice/cri-containerd-\(id).scope",
            runtime: .containerd,
            pod: PodCgroup(uid: "1544eb37-e4f7-49eb-8cc4-3d01c41be77b", qosClass: .besteffort)
        ),
        shape(
            "a static pod (uid: the manifest's hash)",
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podb1e0fd6e8a1c7fd5f2d2c5cb4a2e2c9a.slice/cri-containerd-\(id).scope",
            runtime: .containerd,
            pod: PodCgroup(uid: "b1e0fd6e8a1c7fd5f2d2c5cb4a2e2c9a", qosClass: .burstable)
        ),
        shape(
            "kubelet cgroupfs driver, besteffort: a bare id, runtime unknown",
            "/kubepods/besteffort/podac04f3f2-1f2c-11e9-b015-1ebee232acfa/\(id)",
            runtime: nil,
            pod: PodCgroup(uid: "ac04f3f2-1f2c-11e9-b015-1ebee232acfa", qosClass: .besteffort)
        ),
        shape(
            "kubelet cgroupfs driver, guaranteed",
            "/kubepods/pod8dbc5577-d0e2-4706-8787-57d52c03ddf2/\(id)",
            runtime: nil,
            pod: PodCgroup(uid: "8dbc5577-d0e2-4706-8787-57d52c03ddf2", qosClass: .guaranteed)
        ),
        shape(
            "kubelet cgroupfs driver, CRI-O",
            "/kubepods/burstable/podc458de04-9784-4f7a-990e-cefe26b511f0/crio-\(id)",
            runtime: .crio,
            pod: PodCgroup(uid: "c458de04-9784-4f7a-990e-cefe26b511f0", qosClass: .burstable)
        ),
        shape(
            "containerd without SystemdCgroup under a systemd kubelet",
            "/system.slice/containerd.service/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice:cri-containerd:\(id)",
            runtime: .containerd,
            pod: burstablePod
        ),
        shape(
            "Docker in a pod's container: the inner one, in the pod",
            "/kubepods/burstable/pod5a1d1140-a486-478c-afae-bbc975ff9c3b/\(outer)/docker/\(id)",
            runtime: .docker,
            pod: burstablePod
        ),
        shape("Podman, systemd", "/machine.slice/libpod-\(id).scope", runtime: .podman),
        shape(
            "Podman with crun's sub-cgroup",
            "/machine.slice/libpod-\(id).scope/container",
            runtime: .podman,
            cgroup: "/machine.slice/libpod-\(id).scope"
        ),
        shape(
            "rootless Podman",
            "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope/container",
            runtime: .podman,
            cgroup: "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope"
        ),
        shape("Podman, cgroupfs", "/libpod_parent/libpod-\(id)", runtime: .podman),
        shape(
            "a container of a Podman pod (not a Kubernetes pod)",
            "/machine.slice/machine-libpod_pod_\(outer).slice/libpod-\(id).scope",
            runtime: .podman
        ),
        shape("nerdctl, systemd", "/system.slice/nerdctl-\(id).scope", runtime: .containerd),
        shape("this project's home-made container", "/lambda-test-1234-0badcafe.slice/docker-\(id).scope", runtime: .docker),
    ]

    static let notContainers: [Shape] = [
        none("the root", "/"),
        none("systemd itself", "/init.scope"),
        none("a service", "/system.slice/ssh.service"),
        none("the Docker daemon", "/system.slice/docker.service"),
        none("containerd", "/system.slice/containerd.service"),
        none("a login session", "/user.slice/user-1000.slice/session-3.scope"),
        none("a desktop app's scope", "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope"),
        none("Podman's conmon", "/machine.slice/libpod-conmon-\(id).scope"),
        none(
            "CRI-O's conmon",
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice/crio-conmon-\(id).scope"
        ),
        none("a pod's own cgroup", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5a1d1140_a486_478c_afae_bbc975ff9c3b.slice"),
        none("a pod's own cgroup, cgroupfs", "/kubepods/besteffort/podac04f3f2-1f2c-11e9-b015-1ebee232acfa"),
        none("the QoS level", "/kubepods.slice/kubepods-burstable.slice"),
        none("63 hex digits", "/system.slice/docker-\(id.dropLast()).scope"),
        none("65 hex digits", "/system.slice/docker-\(id)0.scope"),
        none("uppercase hex", "/docker/\(id.uppercased())"),
        none("not hex", "/docker/\(id.dropLast())g"),
        none("a bare id outside docker or a pod", "/system.slice/\(id)"),
        none("a bare id under a pod-like name that is not the kubelet's", "/kubepods/besteffort/podNOT-A-UID/\(id)"),
        none("a colon form with an unknown runtime", "/system.slice/containerd.service/kubepods-burstable-pod5a1d1140.slice:unknown:\(id)"),
        none("a relative path", "system.slice/docker-\(id).scope"),
        none("outside the reader's cgroup namespace", "/../../system.slice/docker-\(id).scope"),
        none("a cgroup being removed", "/system.slice/docker-\(id).scope (deleted)"),
        none("an empty path", ""),
    ]

    @Test("Real shapes parse to their container, runtime, cgroup and pod", arguments: containers)
    func parses(shape: Shape) {
        #expect(ContainerCgroupPath.parse(shape.path) == shape.expected)
    }

    @Test("Paths that are not a container's parse to nothing", arguments: notContainers)
    func refuses(shape: Shape) {
        #expect(ContainerCgroupPath.parse(shape.path) == nil)
    }
}
