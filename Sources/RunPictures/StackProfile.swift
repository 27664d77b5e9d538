/// The stacks of one map summed over every print of it in a run: frames interned once,
/// each distinct stack a list of frame numbers (root first) with its total.
///
/// Bounded: at most `maxStacks` distinct stacks and `maxFrames` distinct frames. Past
/// either, a sample whose stack is not kept yet is added to the one stack `[other
/// stacks]`, so the totals stay whole while memory stays flat (docs/platform.md,
/// "Pictures").
public struct StackProfile: Sendable {
    public static let otherStacks = "[other stacks]"

    public let map: String
    public let maxStacks: Int
    public let maxFrames: Int
    public private(set) var frames: [String] = []
    private var frameNumbers: [String: Int32] = [:]
    public private(set) var totals: [[Int32]: Int64] = [:]
    /// Samples counted into `[other stacks]` because a bound was reached.
    public private(set) var overflowed: Int64 = 0

    init(map: String, maxStacks: Int, maxFrames: Int) {
        self.map = map
        self.maxStacks = maxStacks
        self.maxFrames = maxFrames
    }

    /// The profile's unit: off-cpu's map holds microseconds blocked, every other map counts.
    public var unit: StackUnit { map == "@offcpu_us" ? .microseconds : .samples }

    public var total: Int64 { totals.values.reduce(0) { Self.saturatingSum($0, $1) } }

    mutating func add(frames names: [String], count: Int64) {
        guard count > 0 else { return }
        var numbers: [Int32] = []
        numbers.reserveCapacity(names.count)
        for name in names {
            if let number = frameNumbers[name] {
                numbers.append(number)
            } else if frames.count < maxFrames {
                let number = Int32(frames.count)
                frames.append(name)
                frameNumbers[name] = number
                numbers.append(number)
            } else {
                addOverflow(count)
                return
            }
        }
        if let known = totals[numbers] {
            totals[numbers] = Self.saturatingSum(known, count)
        } else if totals.count < maxStacks {
            totals[numbers] = count
        } else {
            addOverflow(count)
        }
    }

    private mutating func addOverflow(_ count: Int64) {
        overflowed = Self.saturatingSum(overflowed, count)
        let number: Int32
        if let known = frameNumbers[Self.otherStacks] {
            number = known
        } else {
            // One frame and one stack beyond the bounds, kept for the totals.
            number = Int32(frames.count)
            frames.append(Self.otherStacks)
            frameNumbers[Self.otherStacks] = number
        }
        totals[[number]] = Self.saturatingSum(totals[[number]] ?? 0, count)
    }

    /// The stacks as frame names, root first, sorted (the folded lines' order).
    public var sortedStacks: [(frames: [String], count: Int64)] {
        totals.map { (key, count) in (key.map { frames[Int($0)] }, count) }
            .sorted { $0.frames.lexicographicallyPrecedes($1.frames) }
    }

    static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

/// What a stack map's values measure.
public enum StackUnit: Sendable, Equatable {
    /// `count()` of `profile:hz` samples (cpu-profile) or of any event.
    case samples
    /// `sum()` of microseconds blocked (off-cpu's `@offcpu_us`).
    case microseconds
}
