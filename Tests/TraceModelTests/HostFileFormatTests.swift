import Testing
import TraceModel

/// The small formats the container inventory reads: `/proc/<pid>/cgroup`, the mount
/// table, the kubelet's log-link names, Docker's `config.v2.json`.
@Suite("Host file formats: /proc/<pid>/cgroup, /proc/mounts, kubelet log links, config.v2.json")
struct HostFileFormatTests {
    static let id = ContainerCgroupPathTests.id

    @Test("The 0:: line is the cgroup v2 path, colons in the path included; v1's systemd line only without it")
    func processCgroupFile() {
        let hybrid = "9:name=systemd:/system.slice/docker-\(Self.id).scope\n4:memory:/process_api/x\n0::/system.slice/docker-\(Self.id).scope\n"
        #expect(ProcessCgroupFile.path(in: hybrid)?.path == "/system.slice/docker-\(Self.id).scope")
        #expect(ProcessCgroupFile.path(in: hybrid)?.hierarchy == .unified)
        let colons = "0::/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:\(Self.id)\n"
        #expect(ProcessCgroupFile.path(in: colons)?.path == "/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:\(Self.id)")
        let v1Only = "12:cpu,cpuacct:/docker/\(Self.id)\n1:name=systemd:/docker/\(Self.id)\n"
        #expect(ProcessCgroupFile.path(in: v1Only)?.path == "/docker/\(Self.id)")
        #expect(ProcessCgroupFile.path(in: v1Only)?.hierarchy == .systemdV1)
        #expect(ProcessCgroupFile.path(in: "4:memory:/x\n") == nil)
        #expect(ProcessCgroupFile.path(in: "") == nil)
        #expect(ProcessCgroupFile.path(in: "garbage\n0:x\n") == nil)
    }

    @Test("The cgroup2 mount is read from the mount table, octal escapes undone")
    func cgroupMount() {
        let hybrid = """
            tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
            cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            cgroup2 /elsewhere cgroup2 rw 0 0
            """
        #expect(CgroupMountTable.cgroup2MountPoint(in: hybrid) == "/sys/fs/cgroup/unified")
        #expect(CgroupMountTable.cgroup2MountPoint(in: "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n") == "/sys/fs/cgroup")
        #expect(CgroupMountTable.cgroup2MountPoint(in: "none /tmp/a\\040b\\134c cgroup2 rw 0 0") == "/tmp/a b\\c")
        #expect(CgroupMountTable.cgroup2MountPoint(in: "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n") == nil)
        #expect(CgroupMountTable.cgroup2MountPoint(in: "") == nil)
    }

    @Test(
        "Kubelet log-link names split into pod, namespace, container and id",
        arguments: [
            (
                "nginx-7d4b9c-x2x9z_default_nginx-\(id).log",
                KubeletLogLink(pod: "nginx-7d4b9c-x2x9z", namespace: "default", container: "nginx", containerId: id)
            ),
            (
                "coredns-5d78c9869d-abcde_kube-system_coredns-\(id).log",
                KubeletLogLink(pod: "coredns-5d78c9869d-abcde", namespace: "kube-system", container: "coredns", containerId: id)
            ),
            (
                "etcd-node-1.example.com_kube-system_etcd-\(id).log",
                KubeletLogLink(pod: "etcd-node-1.example.com", namespace: "kube-system", container: "etcd", containerId: id)
            ),
            ("p_n_side-car-2-\(id).log", KubeletLogLink(pod: "p", namespace: "n", container: "side-car-2", containerId: id)),
        ]
    )
    func logLinks(name: String, expected: KubeletLogLink) {
        #expect(KubeletLogLink(fileName: name) == expected)
    }

    @Test(
        "Other names in the log directory are not links of the kubelet",
        arguments: [
            "nginx_default_nginx-\(id).txt", "nginx_default_nginx-\(id.dropLast()).log", "nginx_default_\(id).log", "nginx_default_-\(id).log",
            "_default_nginx-\(id).log", "nginx__nginx-\(id).log", "a_b_c_nginx-\(id).log", "nginx_default-nginx-\(id).log",
            "Nginx_default_nginx-\(id).log", "nginx_default_nginx-\(id.uppercased()).log", ".log", "",
        ]
    )
    func notLogLinks(name: String) {
        #expect(KubeletLogLink(fileName: name) == nil)
    }

    @Test("Docker's config.v2.json gives the name without its slash; bad JSON and odd names give none")
    func dockerConfig() {
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"ID":"x","Name":"/web-1","Config":{"Env":["A=1"]}}"#.utf8)) == "web-1")
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":"my_app.v2"}"#.utf8)) == "my_app.v2")
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":"/web"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array("not json".utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":42}"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Other":"/web"}"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":"/"}"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":"/a/b"}"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array(#"{"Name":"/x\n[fake log line]"}"#.utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: Array("{\"Name\":\"/\(String(repeating: "a", count: 256))\"}".utf8)) == nil)
        #expect(DockerContainerConfig.name(fromConfig: []) == nil)
    }
}
