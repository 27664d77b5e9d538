/// Who drives the endpoint (`control` in lambda-settings.yml): the platform calling its
/// HTTP API (`push`, the only way before pull mode), the endpoint polling the platform
/// for tasks (`pull`: for hosts the platform cannot reach), or both.
public enum ControlMode: String, Sendable, Codable, CaseIterable {
    case push
    case pull
    case both

    /// Whether the endpoint registers with the platform and polls it for tasks.
    public var polls: Bool { self != .push }
}
