import Foundation
import PlatformWire
import TraceModel

extension RunTarget {
    /// The target as a run's status shows it, `{"target": ..., "resolved": ...}`, kept in
    /// the run's record so that the run shows it also after a restart.
    var recorded: [String: JSONValue]? {
        struct Shown: Encodable {
            var target: TargetRequest
            var resolved: ResolvedTarget
        }
        guard let data = try? JSONEncoder().encode(Shown(target: asked, resolved: resolved)) else { return nil }
        return try? JSONDecoder().decode([String: JSONValue].self, from: data)
    }
}
