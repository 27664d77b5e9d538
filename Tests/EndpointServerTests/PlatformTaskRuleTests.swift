import Foundation
import PlatformWire
import Testing
import TraceModel

@testable import EndpointServer

@Suite("Pull-mode tasks: the rules that decide whether the endpoint runs one")
struct PlatformTaskRuleTests {
    @Test("Method, path and query are checked, naming the field")
    func checked() throws {
        let task = try JSONDecoder().decode(
            PlatformTask.self,
            from: Data(#"{"id":"t1","method":"POST","path":"/trace/start","body":{"traceT":"BPF","traceId":3,"lasting":1.5,"x":[null,true]}}"#.utf8)
        )
        #expect(throws: Never.self) { try task.checked() }
        let cases: [(PlatformTask, String)] = [
            (PlatformTask(id: "t", method: "DELETE", path: "/trace"), "method: must be GET, PUT or POST, got 'DELETE'"),
            (
                PlatformTask(id: "t", method: "GET", path: "traces"),
                "path: must be an absolute path of at most 1024 printable ASCII bytes, without ? or #"
            ),
            (
                PlatformTask(id: "t", method: "GET", path: "/traces?x=1"),
                "path: must be an absolute path of at most 1024 printable ASCII bytes, without ? or #"
            ),
            (
                PlatformTask(id: "t", method: "GET", path: "/a b"),
                "path: must be an absolute path of at most 1024 printable ASCII bytes, without ? or #"
            ),
        ]
        for (task, message) in cases {
            #expect(throws: FieldError.self) { try task.checked() }
            do throws(FieldError) {
                try task.checked()
            } catch {
                #expect(error.message == message)
            }
        }
    }

}
