/// `role=db,zone=eu-1`: every pair must be among an endpoint's labels; the empty
/// selector matches every endpoint.
public struct LabelSelector: Equatable, Sendable, CustomStringConvertible {
    public let requirements: [String: String]

    public struct Malformed: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    public init(parsing text: String) throws(Malformed) {
        requirements = try Self.pairs(text, what: "selector")
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { labels[$0.key] == $0.value }
    }

    public var description: String {
        requirements.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Comma-separated `key=value` pairs (spaces around them ignored).
    static func pairs(_ text: String, what: String) throws(Malformed) -> [String: String] {
        var pairs: [String: String] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pair[0].trimmingSpaces
            guard pair.count == 2, !key.isEmpty else { throw Malformed(description: "\(what): \(item.trimmingSpaces) is not key=value") }
            guard pairs[key] == nil else { throw Malformed(description: "\(what): \(key) given twice") }
            pairs[key] = pair[1].trimmingSpaces
        }
        return pairs
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
