import Testing
import TraceModel

@Suite("NameGlob: * and ? only")
struct NameGlobTests {
    @Test(
        "Matches",
        arguments: [
            ("*", ""), ("*", "nginx"), ("nginx", "nginx"), ("ng*", "nginx"), ("*x", "nginx"), ("n?inx", "nginx"), ("*-*-*", "web-7d4b9c-x2x9z"),
            ("web-*", "web-7d4b9c-x2x9z"), ("*a*b*", "xaybz"), ("a**b", "ab"), ("???", "abc"), ("[x]", "[x]"), ("a.b", "a.b"), ("a\\b", "a\\b"),
            ("*", "with*star"), ("with*", "with*star"),
        ]
    )
    func matches(pattern: String, name: String) {
        #expect(NameGlob(pattern).matches(name))
    }

    @Test(
        "Does not match",
        arguments: [
            ("nginx", "nginx2"), ("nginx", "ngin"), ("ng?", "nginx"), ("*x", "nginx-1"), ("????", "abc"), ("a.b", "axb"), ("[ab]", "a"),
            ("web-*", "api-1"), ("", "a"), ("*a*b", "xaybz"),
        ]
    )
    func doesNotMatch(pattern: String, name: String) {
        #expect(!NameGlob(pattern).matches(name))
    }

    @Test("Only patterns of stars match anything, unknown names included")
    func matchesAnything() {
        #expect(NameGlob("*").matchesAnything)
        #expect(NameGlob("**").matchesAnything)
        #expect(!NameGlob("*a").matchesAnything)
        #expect(!NameGlob("?").matchesAnything)
    }

    @Test("A hostile pattern against a long name ends quickly")
    func pathological() {
        let name = String(repeating: "a", count: 5000)
        let pattern = String(repeating: "*a", count: 200) + "b"
        let clock = ContinuousClock()
        let started = clock.now
        #expect(!NameGlob(pattern).matches(name))
        #expect(clock.now - started < .seconds(5))
    }
}
