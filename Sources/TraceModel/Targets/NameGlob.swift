/// A shell-style pattern for names, with only `*` (any run of characters, none included)
/// and `?` (exactly one character); every other character stands for itself, so `[`,
/// `\` and `.` need no escaping in a pod or container name.
public struct NameGlob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let characters: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.characters = Array(pattern)
    }

    public var description: String { pattern }

    /// `*`, `**`...: what a missing key of a pod target means. Such a pattern also
    /// matches a name the host does not know (a pod's sandbox container has none).
    public var matchesAnything: Bool { characters.allSatisfy { $0 == "*" } }

    /// Whether the whole of `name` matches. Linear backtracking to the last `*`, so a
    /// hostile pattern costs at most length(pattern) x length(name) steps.
    public func matches(_ name: some StringProtocol) -> Bool {
        let text = Array(name)
        var patternIndex = 0
        var textIndex = 0
        var lastStar: (pattern: Int, text: Int)?
        while textIndex < text.count {
            if patternIndex < characters.count, characters[patternIndex] == "*" {
                lastStar = (patternIndex, textIndex)
                patternIndex += 1
            } else if patternIndex < characters.count, characters[patternIndex] == "?" || characters[patternIndex] == text[textIndex] {
                patternIndex += 1
                textIndex += 1
            } else if let star = lastStar {
                // Let the last `*` take one more character and try again from there.
                lastStar = (star.pattern, star.text + 1)
                patternIndex = star.pattern + 1
                textIndex = star.text + 1
            } else {
                return false
            }
        }
        while patternIndex < characters.count, characters[patternIndex] == "*" { patternIndex += 1 }
        return patternIndex == characters.count
    }
}
