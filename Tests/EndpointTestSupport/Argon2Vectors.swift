// The Authorization header's argon2 hashes as an independent tool makes them: the
// endpoint's verification (AuthenticationTests) and its outgoing header (SubmitterTests)
// are checked against the same ones.

/// Hashes made with Debian's `argon2` command-line tool, e.g.
/// `echo -n test-secret-for-vectors | argon2 saltsaltsalt1 -i -t 3 -m 12 -p 1 -e`.
public enum Argon2Vectors {
    public static let secret = TestConfigDirectory.secret
    public static let argon2i = "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g"
    public static let argon2id = "$argon2id$v=19$m=1024,t=2,p=2$b3RoZXJzYWx0MTIz$1gS2fkP51gcl95oSwE2BGc50OX20Z3r+AeOx1dmhpdw"
    public static let argon2d = "$argon2d$v=19$m=256,t=1,p=1$ZHNhbHRkc2FsdDk5$OKJ0jDO/yP978wb463wscX1pE8t2b819R8dlIAEuhTc"
    /// Same salt and parameters as `argon2i`, secret "wrong-secret".
    public static let wrongSecret = "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$zGgwmYUpTi4VqU7YUyZYzc+ug4kHRYbNX2zz5PQEsMI"
    /// A correct hash of the secret that asks for 128 MiB: over the default cap.
    public static let overMemoryCap = "$argon2id$v=19$m=131072,t=1,p=1$YmlnbWVtc2FsdDAx$FRhaMFqQ1KpaTSeM8uJ/15TVI52A4qQjnG2RpybEAmE"
    /// A correct hash of the secret with t=11: over the default cap.
    public static let overTimeCap = "$argon2i$v=19$m=256,t=11,p=1$dGltZWNvc3RzYWx0$MZcbTv2uEqjvyskzsKjyh56Yn3wEkcWgZSq3lNvssz4"

    public static func header(_ hash: String, uuid: String = TestConfigDirectory.endpointUUID) -> String { uuid + hash }

    /// The 401 text for a wrong uuid and for a wrong hash alike.
    public static let notThisEndpoint = "Authorization header does not verify for this endpoint (wrong endpoint uuid or secret)"
}
