/// What a container id or id prefix names among the host's containers (a
/// `{"container": "<id>"}` target).
public enum ContainerLookup: Sendable, Equatable {
    /// The full id, or a prefix only one container's id starts with.
    case found(HostContainer)
    /// A prefix several ids start with: these, by id.
    case ambiguous([HostContainer])
    /// One id claimed by unrelated cgroups (`ContainerIdClaims`): each, by cgroup.
    case conflicting([HostContainer])
    /// No container's id is or starts with it.
    case notFound
    /// Not 12 to 64 hexadecimal digits.
    case notAnId
}
