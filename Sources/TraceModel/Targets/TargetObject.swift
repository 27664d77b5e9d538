/// The `target` of a start body as it came: each key with the JSON kind of its value,
/// nothing judged yet. Decoding never fails on what the object holds (only on JSON that
/// is not an object at all being recorded as such), so that `TargetRequest.init(checking:)`
/// can answer every shape with a 400 naming the field, as the other start fields are.
public struct TargetObject: Codable, Sendable, Equatable {
    /// One value of the object: what the rules need to tell apart.
    public enum Value: Sendable, Equatable {
        case wholeNumber(Int64)
        case string(String)
        /// Anything else (a fraction, a boolean, null, an array, an object): its JSON kind.
        case other(String)
    }

    /// nil when `target` was not a JSON object (a string, a number, an array...).
    public let entries: [String: Value]?

    public init(entries: [String: Value]?) {
        self.entries = entries
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        guard let object = try? decoder.container(keyedBy: AnyKey.self) else {
            self.entries = nil
            return
        }
        var entries: [String: Value] = [:]
        for key in object.allKeys {
            if let number = try? object.decode(Int64.self, forKey: key) {
                entries[key.stringValue] = .wholeNumber(number)
            } else if let text = try? object.decode(String.self, forKey: key) {
                entries[key.stringValue] = .string(text)
            } else if (try? object.decodeNil(forKey: key)) == true {
                entries[key.stringValue] = .other("null")
            } else if (try? object.decode(Double.self, forKey: key)) != nil {
                entries[key.stringValue] = .other("a number that is not whole")
            } else if (try? object.decode(Bool.self, forKey: key)) != nil {
                entries[key.stringValue] = .other("a boolean")
            } else {
                entries[key.stringValue] = .other("an array or object")
            }
        }
        self.entries = entries
    }

    /// Back to the object it was decoded from, for a run's relaunch (`RelaunchableStart`).
    /// Only a target that passed its rules is kept, so `other` never reaches here; it
    /// fails the encoding rather than stand for a value it is not.
    public func encode(to encoder: any Encoder) throws {
        guard let entries else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "target was not a JSON object"))
        }
        var object = encoder.container(keyedBy: AnyKey.self)
        for (key, value) in entries {
            switch value {
            case .wholeNumber(let number): try object.encode(number, forKey: AnyKey(stringValue: key))
            case .string(let text): try object.encode(text, forKey: AnyKey(stringValue: key))
            case .other(let kind):
                throw EncodingError.invalidValue(kind, .init(codingPath: encoder.codingPath, debugDescription: "\(key) is \(kind)"))
            }
        }
    }
}
