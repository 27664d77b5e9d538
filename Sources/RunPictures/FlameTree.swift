/// Stacks merged into a tree, root first: what a flame graph draws, each frame as wide as
/// the samples beneath it.
struct FlameTree {
    final class Node {
        let name: String
        var count: Int64 = 0
        var children: [String: Node] = [:]

        init(name: String) { self.name = name }
    }

    let root = Node(name: "all")

    init(_ stacks: [(frames: [String], count: Int64)]) {
        for (frames, count) in stacks {
            var node = root
            node.count = StackProfile.saturatingSum(node.count, count)
            for frame in frames {
                let child = node.children[frame] ?? Node(name: frame)
                node.children[frame] = child
                child.count = StackProfile.saturatingSum(child.count, count)
                node = child
            }
        }
    }

    /// One drawn frame: `start` and `count` in samples from the left, `depth` from the root.
    struct Placed {
        var name: String
        var start: Int64
        var count: Int64
        var depth: Int
    }

    /// Frames in depth-first order, children sorted by name (as flamegraph.pl does), those
    /// narrower than `minimumCount` left out with everything above them.
    func placed(minimumCount: Int64) -> [Placed] {
        var out: [Placed] = []
        var pending: [(Node, Int64, Int)] = [(root, 0, 0)]
        while let (node, start, depth) = pending.popLast() {
            out.append(Placed(name: node.name, start: start, count: node.count, depth: depth))
            var x = start
            var next: [(Node, Int64, Int)] = []
            for child in node.children.values.sorted(by: { $0.name < $1.name }) {
                if child.count >= minimumCount { next.append((child, x, depth + 1)) }
                x += child.count
            }
            pending += next.reversed()
        }
        return out
    }
}
