import PlatformStore

extension Platform {
    /// Something for `key` was committed: wakes this instance's waiters at once, and the
    /// other instances' through the database (`listenForAnnouncements`).
    public func announce(_ kind: PlatformAnnouncement.Kind, _ key: String) async {
        wake(kind, key)
        if database.isShared { await database.announce(PlatformAnnouncement(kind, key)) }
    }

    /// Wakes this instance's waiters for what other instances announce, until cancelled
    /// (`serve` runs it). After the database was away every waiter is woken once: what
    /// was announced meanwhile was lost, and each looks again.
    public func listenForAnnouncements() async {
        await database.listen(
            { [weak self] announcement in self?.wake(announcement.kind, announcement.key) },
            reconnected: { [weak self] in
                self?.taskArrivals.signalAll()
                self?.streamGrowth.signalAll()
                self?.taskResults.answers.signalAll()
            }
        )
    }

    private func wake(_ kind: PlatformAnnouncement.Kind, _ key: String) {
        switch kind {
        case .taskQueued: taskArrivals.signal(key)
        case .streamGrew: streamGrowth.signal(key)
        case .taskAnswered: taskResults.answers.signal(key)
        }
    }
}
