/// Whether one analysis can run on this host, and if not, every reason why.
public struct AnalysisAvailability: Sendable, Equatable {
    public let name: String
    public let unmet: [UnmetRequirement]

    public init(name: String, unmet: [UnmetRequirement]) {
        self.name = name
        self.unmet = unmet
    }

    public var isAvailable: Bool { unmet.isEmpty }

    /// The reasons in one sentence; nil when available.
    public var unavailableReason: String? {
        unmet.isEmpty ? nil : unmet.map(\.reason).joined(separator: "; ")
    }
}
