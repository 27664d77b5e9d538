import Foundation
import Testing
import TraceModel

@Suite("Template wire form")
struct TraceTemplateCodingTests {
    func decode(_ json: String) throws -> TraceTemplate {
        try JSONDecoder().decode(TraceTemplate.self, from: Data(json.utf8))
    }

    @Test("'funtions' (the seed README's spelling) is accepted; 'functions' is written")
    func misspelledFunctions() throws {
        let template = try decode(#"{"process":"/bin/bash","funtions":["xmalloc"],"environment":[],"value":[],"options":[],"traceType":["BPF"]}"#)
        #expect(template.functions == ["xmalloc"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(template), as: UTF8.self)
        #expect(text == #"{"environment":[],"functions":["xmalloc"],"options":[],"process":"/bin/bash","traceType":["BPF"],"value":[]}"#)
    }

    @Test("Both spellings with equal lists are fine; differing lists are refused")
    func bothSpellings() throws {
        #expect(try decode(#"{"process":"/p","functions":["a"],"funtions":["a"],"traceType":["BPF"]}"#).functions == ["a"])
        #expect(throws: DecodingError.self) {
            try decode(#"{"process":"/p","functions":["a"],"funtions":["b"],"traceType":["BPF"]}"#)
        }
    }

    @Test("Missing environment, value and options mean empty lists; unknown fields are ignored")
    func missingListsAreEmpty() throws {
        let template = try decode(#"{"process":"/p","functions":["a"],"traceType":["BPF"],"environment":null,"colour":"blue"}"#)
        #expect(template == TraceTemplate(process: "/p", functions: ["a"], traceType: ["BPF"]))
    }

    @Test("Missing functions or traceType is a decoding error")
    func requiredKeys() {
        #expect(throws: DecodingError.self) { try decode(#"{"process":"/p","traceType":["BPF"]}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"process":"/p","functions":["a"]}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"functions":["a"],"traceType":["BPF"]}"#) }
    }
}
