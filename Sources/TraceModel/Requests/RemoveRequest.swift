/// The body of `POST /trace/remove`: `{"removeType": "BPF"|"STAP", "removeId": N}`.
public struct RemoveRequest: Decodable, Sendable {
    public let removeType: String
    public let removeId: Int64

    /// What a remove request asks for once its values passed their rules.
    public struct Checked: Equatable, Sendable {
        public let tracer: TracerType
        public let templateId: Int64
    }

    enum CodingKeys: String, CodingKey { case removeType, removeId }

    public init(removeType: String, removeId: Int64) {
        self.removeType = removeType
        self.removeId = removeId
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.removeType = try container.decode(String.self, forKey: .removeType)
        self.removeId = try container.decodeWholeNumber(forKey: .removeId)
    }

    /// `removeType` must name a tracer and `removeId` be a template number (1 or more).
    public func checked() throws(FieldError) -> Checked {
        let tracer = try TracerType.named(removeType, field: "removeType")
        guard removeId >= 1 else {
            throw FieldError(field: "removeId", reason: "must be a template number (1 or more), got \(removeId)")
        }
        return Checked(tracer: tracer, templateId: removeId)
    }
}
