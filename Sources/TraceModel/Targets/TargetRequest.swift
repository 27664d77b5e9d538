/// What a start's `target` asks to trace (docs/targets-and-analyses.md, "Targets"), its values checked: exactly
/// one kind. Resolving it against the host (`TargetResolver`) is a separate step, done
/// at start on a fresh `HostSnapshot`.
public enum TargetRequest: Sendable, Equatable {
    /// One process, all its threads.
    case pid(Int32)
    /// One container: its full id or a prefix of at least 12 hexadecimal digits, lowercase.
    case container(idOrPrefix: String)
    /// Every container whose pod name, namespace and container name match; nil: `*`.
    case pod(pod: NameGlob?, namespace: NameGlob?, container: NameGlob?)
    /// Every process in this cgroup (a path below the cgroup v2 mount) and below.
    case cgroup(String)

    /// Linux's `pid_max` ceiling (`PID_MAX_LIMIT` on 64-bit).
    public static let maxPid: Int64 = 4_194_304
    /// Kubernetes names are at most 253 characters (a DNS subdomain).
    public static let maxGlobLength = 253
    public static let maxCgroupPathBytes = 4096

    static let shapes =
        #"a target is {"pid": N}, {"container": "<id>"}, {"pod": "<glob>", "namespace": "<glob>", "container": "<glob>"} or {"cgroup": "<path>"}"#

    /// The kinds a target may name, for the message about two of them at once.
    private static let keys = ["pid", "container", "pod", "namespace", "cgroup"]

    /// Checks `object` against the rules; every refusal names the field.
    public init(checking object: TargetObject) throws(FieldError) {
        guard let entries = object.entries else { throw FieldError(field: "target", reason: "must be a JSON object; \(Self.shapes)") }
        guard !entries.isEmpty else { throw FieldError(field: "target", reason: "names nothing; \(Self.shapes)") }
        if let unknown = entries.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw FieldError(field: "target", reason: "unknown key \(Self.quotedKey(unknown)); \(Self.shapes)")
        }
        let podKind = entries["pod"] != nil || entries["namespace"] != nil
        var kinds: [String] = []
        if entries["pid"] != nil { kinds.append("pid") }
        if entries["container"] != nil, !podKind { kinds.append("container") }
        if podKind { kinds.append("pod") }
        if entries["cgroup"] != nil { kinds.append("cgroup") }
        guard kinds.count == 1 else {
            throw FieldError(field: "target", reason: "\(kinds.joined(separator: " and ")) are two kinds of target; give one. \(Self.shapes)")
        }
        switch kinds[0] {
        case "pid":
            guard case .wholeNumber(let pid) = entries["pid"], (1...Self.maxPid).contains(pid) else {
                throw FieldError(field: "target.pid", reason: "must be a process id, a whole number from 1 to \(Self.maxPid)")
            }
            self = .pid(Int32(pid))
        case "container":
            guard case .string(let text) = entries["container"], ContainerID.isPrefix(text.lowercased()) else {
                throw FieldError(
                    field: "target.container",
                    reason:
                        "must be a container id: its \(ContainerID.length) hexadecimal digits or a unique prefix of at least \(ContainerID.minimumPrefixLength)"
                )
            }
            self = .container(idOrPrefix: text.lowercased())
        case "pod":
            self = .pod(
                pod: try Self.glob(entries["pod"], field: "target.pod"),
                namespace: try Self.glob(entries["namespace"], field: "target.namespace"),
                container: try Self.glob(entries["container"], field: "target.container")
            )
        default:
            guard case .string(let path) = entries["cgroup"], Self.isCgroupPath(path) else {
                throw FieldError(
                    field: "target.cgroup",
                    reason:
                        "must be a normalised absolute path below the cgroup v2 mount, such as /system.slice/docker-<id>.scope (no '.', '..', '//' or trailing '/'; at most \(Self.maxCgroupPathBytes) bytes of letters, digits and . _ - @ : + = , \\)"
                )
            }
            self = .cgroup(path)
        }
    }

    /// nil for an absent key (`*`). Kubernetes names are lowercase letters, digits, `-`
    /// and `.`; `_` and uppercase are let through for Docker-style names. Nothing else: a
    /// glob is echoed in refusals and run views.
    private static func glob(_ value: TargetObject.Value?, field: String) throws(FieldError) -> NameGlob? {
        guard let value else { return nil }
        guard case .string(let text) = value, (1...maxGlobLength).contains(text.utf8.count),
            text.utf8.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") })
        else {
            throw FieldError(
                field: field,
                reason: "must be a glob of 1 to \(maxGlobLength) characters: letters, digits, '.', '-', '_', and the wildcards '*' and '?'"
            )
        }
        return NameGlob(text)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    /// `/`, or `/`-separated components that are neither empty, `.` nor `..`, of the
    /// bytes systemd and the runtimes name cgroups with (`\` for systemd's `\x2d` escapes).
    static func isCgroupPath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.utf8.count <= maxCgroupPathBytes else { return false }
        if path == "/" { return true }
        let components = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return components.allSatisfy { component in
            !component.isEmpty && !component.elementsEqual(".".utf8) && !component.elementsEqual("..".utf8)
                && component.allSatisfy { isNameByte($0) || Array("@:+=,\\".utf8).contains($0) }
        }
    }

    /// A key is echoed only when it is short and plain; a hostile one is not repeated.
    private static func quotedKey(_ key: String) -> String {
        key.utf8.count <= 32 && key.utf8.allSatisfy(isNameByte) ? "\"\(key)\"" : "(not shown: long or unusual characters)"
    }

    /// The kind as the stream's and the run view's `target` tuples name it.
    public var kind: String {
        switch self {
        case .pid: "pid"
        case .container: "container"
        case .pod: "pod"
        case .cgroup: "cgroup"
        }
    }

    /// How a refusal names it: `pid 1234`, `container 0123456789ab`, `pod "web-*" in namespace "*"`...
    public var description: String {
        switch self {
        case .pid(let pid): "pid \(pid)"
        case .container(let id): "container \(id)"
        case .pod(let pod, let namespace, let container):
            "pod \"\(pod?.pattern ?? "*")\" in namespace \"\(namespace?.pattern ?? "*")\", container \"\(container?.pattern ?? "*")\""
        case .cgroup(let path): "cgroup \(Self.shortened(path))"
        }
    }

    /// A refusal is one short sentence: a cgroup path may be 4096 bytes, so a long one is
    /// shown by its start and its length (globs are at most 253 characters).
    static let maxShownPathBytes = 256

    static func shortened(_ path: String) -> String {
        guard path.utf8.count > maxShownPathBytes else { return path }
        // The path's bytes are ASCII (`isCgroupPath`): cutting them keeps whole characters.
        return String(decoding: path.utf8.prefix(maxShownPathBytes), as: UTF8.self) + "... (\(path.utf8.count) bytes)"
    }
}

/// As asked: the keys the request gave (a pod target's missing keys stay missing).
extension TargetRequest: Encodable {
    private enum Keys: String, CodingKey { case pid, container, pod, namespace, cgroup }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .pid(let pid): try container.encode(pid, forKey: .pid)
        case .container(let id): try container.encode(id, forKey: .container)
        case .pod(let pod, let namespace, let containerName):
            try container.encodeIfPresent(pod?.pattern, forKey: .pod)
            try container.encodeIfPresent(namespace?.pattern, forKey: .namespace)
            try container.encodeIfPresent(containerName?.pattern, forKey: .container)
        case .cgroup(let path): try container.encode(path, forKey: .cgroup)
        }
    }
}
