import EndpointConfig
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The endpoint's descriptor budget: its soft `RLIMIT_NOFILE` raised to the hard limit
/// (systemd starts services at a soft 1024 under a hard 524288), and the
/// share of it that `max-connections` may not take.
enum OpenFileLimit {
    /// At start: raises the limit, then lowers `max-connections` where it would eat into
    /// the descriptors kept for runs. What it did is logged by `Report.log` once start-up
    /// can no longer fail on configuration (a config error stays the one line on stderr).
    static func raiseAndBudget(_ configuration: inout EndpointConfiguration) -> Report {
        let descriptors = raiseToHard()
        let configured = configuration.server.connections.maxConnections
        let cap = connectionCap(configuration, limit: descriptors.new)
        let report = Report(descriptors: descriptors, configuredConnections: configured, connectionCap: cap, reserved: reserved(configuration))
        if cap < configured { configuration.server.connections.maxConnections = cap }
        return report
    }

    struct Report {
        let descriptors: Change
        let configuredConnections: Int
        let connectionCap: Int
        let reserved: Int

        func log(to logger: Logger) {
            if let failure = descriptors.failure {
                logger.warning("Open-file limit left as it was", metadata: ["nofile.old": "\(descriptors.old)", "nofile.error": "\(failure)"])
            } else {
                logger.info(
                    "Open-file limit set to the hard limit",
                    metadata: ["nofile.old": "\(descriptors.old)", "nofile.new": "\(descriptors.new)"]
                )
            }
            guard connectionCap < configuredConnections else { return }
            logger.warning(
                "max-connections lowered to keep descriptors for runs, delivery and SQLite",
                metadata: [
                    "http.max-connections": "\(connectionCap)", "config.max-connections": "\(configuredConnections)",
                    "nofile.limit": "\(descriptors.new)", "nofile.reserved": "\(reserved)",
                ]
            )
        }
    }

    struct Change {
        let old: UInt64
        let new: UInt64
        /// Why the soft limit could not be raised, if it could not.
        let failure: String?
    }

    /// Raises the soft limit to the hard one (sudo and the tracers inherit it).
    static func raiseToHard() -> Change {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            // Unknown: taken as unlimited, so that nothing is lowered on a guess.
            return Change(old: .max, new: .max, failure: "getrlimit: \(String(cString: strerror(errno)))")
        }
        let old = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return Change(old: old, new: old, failure: nil) }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return Change(old: old, new: old, failure: "setrlimit: \(String(cString: strerror(errno)))")
        }
        return Change(old: old, new: UInt64(limit.rlim_max), failure: nil)
    }

    /// Descriptors kept out of `max-connections`' reach: 64 for the endpoint itself (22
    /// are open at rest: event loops, signal and timer descriptors, SQLite and its WAL,
    /// the listener), two per SQLite reader, and eight per run (stdout and stderr pipes,
    /// the run file written and read, the platform connection, and the spawn's
    /// short-lived pipe ends).
    static func reserved(_ configuration: EndpointConfiguration) -> Int {
        64 + 2 * configuration.server.databasePoolSize + 8 * configuration.lambda.maxConcurrentRuns
    }

    /// The connection cap that keeps `reserved` descriptors free under `limit`.
    static func connectionCap(_ configuration: EndpointConfiguration, limit: UInt64) -> Int {
        let available = Int(clamping: limit) - reserved(configuration)
        return max(1, min(configuration.server.connections.maxConnections, available))
    }
}
