import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a test process must undo when it exits, for what outlives it otherwise: a
/// PostgreSQL postmaster (pg_ctl detaches it) or an haproxy child. One `atexit` handler
/// runs every registered action; a process killed outright runs none, and
/// `scripts/prepare-test-machine.sh` sweeps what it left once its pid is gone.
public enum ExitCleanup {
    private static let actions = Mutex<[UUID: @Sendable () -> Void]>([:])
    private static let handlerInstalled = Mutex(false)

    /// Registers `action` for the process's exit; `cancel(_:)` with the answer unregisters
    /// it (once the test has undone it itself).
    public static func register(_ action: @escaping @Sendable () -> Void) -> UUID {
        let key = UUID()
        actions.withLock { $0[key] = action }
        let install = handlerInstalled.withLock { installed in
            defer { installed = true }
            return !installed
        }
        if install { atexit { ExitCleanup.runAll() } }
        return key
    }

    public static func cancel(_ key: UUID) {
        _ = actions.withLock { $0.removeValue(forKey: key) }
    }

    private static func runAll() {
        let pending = actions.withLock { actions in
            defer { actions = [:] }
            return actions
        }
        for action in pending.values { action() }
    }
}
