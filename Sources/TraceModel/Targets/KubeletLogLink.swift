/// A name in the kubelet's `/var/log/containers`: `<pod>_<namespace>_<container>-<id>.log`,
/// one per container it runs (a link into `/var/log/pods`; the convention log collectors
/// rely on). Only the name is read, never the link or its target.
///
/// Pod names (DNS subdomains) and namespaces and container names (DNS labels) hold
/// lowercase letters, digits, `-` and `.`, never `_`: the name splits on `_` into three,
/// and the last part on its last `-` before the 64-hex id.
public struct KubeletLogLink: Sendable, Equatable {
    public let pod: String
    public let namespace: String
    public let container: String
    public let containerId: String

    public init(pod: String, namespace: String, container: String, containerId: String) {
        self.pod = pod
        self.namespace = namespace
        self.container = container
        self.containerId = containerId
    }

    /// nil for a name of another shape, or whose parts are not Kubernetes names.
    public init?(fileName: String) {
        guard fileName.hasSuffix(".log") else { return nil }
        let parts = fileName.dropLast(".log".count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, let dash = parts[2].lastIndex(of: "-") else { return nil }
        let container = parts[2][..<dash]
        let id = parts[2][parts[2].index(after: dash)...]
        guard ContainerID.isFull(id), Self.isName(parts[0], maxLength: 253), Self.isName(parts[1], maxLength: 63),
            Self.isName(container, maxLength: 63)
        else { return nil }
        self.init(pod: String(parts[0]), namespace: String(parts[1]), container: String(container), containerId: String(id))
    }

    private static func isName(_ text: Substring, maxLength: Int) -> Bool {
        (1...maxLength).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ContainerID.isLowercaseHexDigit($0) || (UInt8(ascii: "g")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-")
                    || $0 == UInt8(ascii: ".")
            }
    }
}
