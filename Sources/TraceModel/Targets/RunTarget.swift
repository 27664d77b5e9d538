/// A targeted run's target: as the start asked it and what it resolved to at start.
public struct RunTarget: Sendable, Equatable {
    public var asked: TargetRequest
    public var resolved: ResolvedTarget

    public init(asked: TargetRequest, resolved: ResolvedTarget) {
        self.asked = asked
        self.resolved = resolved
    }
}
