import Credentials

extension AuthSettings {
    /// The `auth-*` keys of `lambda-settings.yml`: each key's name, default, bounds and
    /// meaning, written once; in the file's order.
    public static let definitions = Definitions()

    public struct Definitions: SettingTable {
        public let cacheSize = Setting.wholeNumber(
            "auth-cache-size",
            default: AuthSettings.standard.cacheSize,
            range: 0...1_000_000,
            unit: "entries",
            "Verified header values remembered; 0 disables the cache."
        )
        public let maxConcurrentVerifications = Setting.wholeNumber(
            "auth-max-concurrent-verifications",
            default: AuthSettings.standard.maxConcurrentVerifications,
            range: 1...64,
            "argon2 verifications running at once."
        )
        public let maxWaitingVerifications = Setting.wholeNumber(
            "auth-max-waiting-verifications",
            default: AuthSettings.standard.maxWaitingVerifications,
            range: 0...100_000,
            "Requests waiting for a verification; beyond it the answer is 503."
        )
        public let maxMemoryKiB = Setting.wholeNumber(
            "auth-max-argon2-memory-kib",
            default: AuthSettings.standard.maxMemoryKiB,
            range: 8...4_194_304,
            unit: "KiB",
            "Most memory a presented hash may ask for."
        )
        public let maxTimeCost = Setting.wholeNumber(
            "auth-max-argon2-time-cost",
            default: AuthSettings.standard.maxTimeCost,
            range: 1...1000,
            "Highest time cost a presented hash may ask for."
        )
        public let maxParallelism = Setting.wholeNumber(
            "auth-max-argon2-parallelism",
            default: AuthSettings.standard.maxParallelism,
            range: 1...255,
            "Highest parallelism a presented hash may ask for."
        )
    }

    init(section: ConfigSection) throws(ConfigError) {
        let table = Self.definitions
        self.init(
            cacheSize: try section.read(table.cacheSize),
            maxConcurrentVerifications: try section.read(table.maxConcurrentVerifications),
            maxWaitingVerifications: try section.read(table.maxWaitingVerifications),
            maxMemoryKiB: try section.read(table.maxMemoryKiB),
            maxTimeCost: try section.read(table.maxTimeCost),
            maxParallelism: try section.read(table.maxParallelism)
        )
    }
}
