/// FlameGraph's collapsed ("folded") format, as flamegraph.pl, speedscope and Pyroscope
/// read it: one `frame;frame;...;leaf count` line per distinct stack, root first, lines
/// sorted by their text.
public enum FoldedStacks {
    public static func text(of profile: StackProfile) -> String {
        profile.sortedStacks.map { $0.frames.joined(separator: ";") + " \($0.count)\n" }.sorted().joined()
    }
}
