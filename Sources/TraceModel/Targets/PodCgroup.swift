/// A Kubernetes pod as the kubelet names its cgroup: `kubepods-burstable-pod<uid>.slice`
/// (systemd driver, the uid's dashes written as underscores) or `kubepods/burstable/pod<uid>`
/// (cgroupfs driver).
public struct PodCgroup: Sendable, Equatable {
    /// The pod's uid as the API server spells it, with dashes (a UUID; a static pod's is
    /// the 32 hex digits of its manifest's hash).
    public let uid: String
    public let qosClass: PodQoSClass

    public init(uid: String, qosClass: PodQoSClass) {
        self.uid = uid
        self.qosClass = qosClass
    }

    /// A systemd-driver pod slice, `[<prefix>-]kubepods[-<qos>]-pod<uid>.slice` (a prefix
    /// when the kubelet's `--cgroup-root` is set, e.g. kind's `kubelet-kubepods-...`).
    static func systemdSlice(_ component: Substring) -> PodCgroup? {
        guard component.hasSuffix(".slice") else { return nil }
        let unit = component.dropLast(".slice".count)
        // The uid has no dash (systemd would read one as a slice level), so the last
        // "-pod" starts it.
        guard let marker = unit.ranges(of: "-pod").last else { return nil }
        let owner = unit[..<marker.lowerBound]
        guard let qosClass = qosClass(ofSliceOwner: owner) else { return nil }
        return podCgroup(uid: String(unit[marker.upperBound...]).replacing("_", with: "-"), qosClass: qosClass)
    }

    /// A cgroupfs-driver pod directory: `pod<uid>` right under `kubepods` (guaranteed) or
    /// under `kubepods/burstable` or `kubepods/besteffort`.
    static func cgroupfsDirectory(_ components: [Substring], at index: Int) -> PodCgroup? {
        let component = components[index]
        guard component.hasPrefix("pod"), index > 0 else { return nil }
        let parent = components[index - 1]
        let qosClass: PodQoSClass
        if parent == "kubepods" {
            qosClass = .guaranteed
        } else if index > 1, components[index - 2] == "kubepods", let named = PodQoSClass(rawValue: String(parent)), named != .guaranteed {
            qosClass = named
        } else {
            return nil
        }
        return podCgroup(uid: String(component.dropFirst("pod".count)), qosClass: qosClass)
    }

    /// `kubepods` and `kubepods-<qos>` name the levels the kubelet makes; `x-kubepods...`
    /// the same below a `--cgroup-root` of `x`.
    private static func qosClass(ofSliceOwner owner: Substring) -> PodQoSClass? {
        for qosClass in PodQoSClass.allCases {
            let level = qosClass == .guaranteed ? "kubepods" : "kubepods-\(qosClass.rawValue)"
            if owner == level || owner.hasSuffix("-" + level) { return qosClass }
        }
        return nil
    }

    /// A uid of hexadecimal digits and dashes, as both kinds of pod uid are.
    private static func podCgroup(uid: String, qosClass: PodQoSClass) -> PodCgroup? {
        let isUID =
            (1...64).contains(uid.utf8.count)
            && uid.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ContainerID.isLowercaseHexDigit($0) }
            && uid.utf8.contains { $0 != UInt8(ascii: "-") }
        return isUID ? PodCgroup(uid: uid, qosClass: qosClass) : nil
    }
}
