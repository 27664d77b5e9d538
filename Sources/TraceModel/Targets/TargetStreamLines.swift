/// The lines a targeted run's stream holds right after the tracer's `ready` line, one per
/// match: `["target", kind, id, name, cgroupId]` (`StreamValueLine`: written by the
/// endpoint, so `name` and `cgroupId` can be `null` where unknown).
public enum TargetStreamLines {
    public static func bytes(for target: ResolvedTarget) -> [UInt8] {
        let quoted = StreamValueLine.quoted
        let lines = target.matches.map { match in
            StreamValueLine.text(["\"target\"", quoted(match.kind), quoted(match.id), quoted(match.name), match.cgroupId.map { "\($0)" } ?? "null"])
        }
        return Array(lines.joined().utf8)
    }
}
