import NIOCore
import Synchronization

/// One open connection as the registry sees it: its channel (to close it), when bytes
/// last moved on it, and whether a request that fully arrived is being answered.
/// Written by its own event loop, read by any loop choosing whom to close.
final class TrackedConnection: Sendable {
    let channel: any Channel
    private let activity: Atomic<UInt64>
    private let answering = Atomic<Bool>(false)
    /// Set once, under the registry's lock, when it is chosen to make room.
    private let closingForRoom = Atomic<Bool>(false)

    init(channel: any Channel) {
        self.channel = channel
        self.activity = Atomic(NIODeadline.now().uptimeNanoseconds)
    }

    var lastActivity: UInt64 { activity.load(ordering: .relaxed) }
    func markActive() { activity.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed) }

    var isAnswering: Bool {
        get { answering.load(ordering: .relaxed) }
        set { answering.store(newValue, ordering: .relaxed) }
    }

    var isClosingForRoom: Bool {
        get { closingForRoom.load(ordering: .relaxed) }
        set { closingForRoom.store(newValue, ordering: .relaxed) }
    }
}
