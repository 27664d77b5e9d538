/// Limits of incoming authentication; see `RequestAuthenticator`.
public struct AuthSettings: Sendable, Equatable {
    /// Verified header values remembered so that a repeated header costs no argon2 run; 0 disables it.
    public var cacheSize: Int
    /// argon2 verifications running at once (each ~10 ms of CPU and the hash's memory).
    public var maxConcurrentVerifications: Int
    /// Requests allowed to wait for a verification slot; beyond it the answer is 503.
    public var maxWaitingVerifications: Int
    /// Caps on the parameters a presented hash may ask for; above them: 401 without computing.
    public var maxMemoryKiB: Int
    public var maxTimeCost: Int
    public var maxParallelism: Int

    /// Each limit left out is its default: the one `lambda-settings.yml` documents (the
    /// `auth-*` keys' definitions in EndpointConfig take their defaults from `standard`).
    public init(
        cacheSize: Int = 1024,
        maxConcurrentVerifications: Int = 2,
        maxWaitingVerifications: Int = 64,
        maxMemoryKiB: Int = 65536,
        maxTimeCost: Int = 10,
        maxParallelism: Int = 8
    ) {
        self.cacheSize = cacheSize
        self.maxConcurrentVerifications = maxConcurrentVerifications
        self.maxWaitingVerifications = maxWaitingVerifications
        self.maxMemoryKiB = maxMemoryKiB
        self.maxTimeCost = maxTimeCost
        self.maxParallelism = maxParallelism
    }

    /// Every limit at its default.
    public static let standard = AuthSettings()
}
