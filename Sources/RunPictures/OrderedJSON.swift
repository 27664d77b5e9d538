/// A JSON value as it was written: objects keep their members in order and with their
/// duplicates. bpftrace 0.17 prints a stack map's keys after symbolising them, so two
/// stacks that differ only beyond their symbols (`0x...` frames bpftrace resolved alike)
/// come out as two members with the same key: a dictionary would keep one and lose the
/// other's count. Numbers keep their text, so bucket bounds and counts are written back
/// exactly as bpftrace printed them.
public indirect enum OrderedJSON: Sendable, Equatable {
    case object([(key: String, value: OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public static func == (left: OrderedJSON, right: OrderedJSON) -> Bool {
        switch (left, right) {
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// The member `key` of an object (the first of that name).
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A whole number that fits in Int64 (`count()`, `sum()`, bucket bounds).
    public var integer: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }

    public var text: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }
}
