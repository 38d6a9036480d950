import Foundation

/// Token buckets by key (a user, an address): `rate` requests per second sustained, `burst` at
/// once. The edge throttles each user with one (429 beyond); the development identity provider
/// limits each client address and each username with two.
public actor Throttle {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private var buckets: [String: Bucket] = [:]

    /// - Parameters:
    ///   - rate: tokens added per second.
    ///   - burst: the most tokens a bucket holds (a new key starts full).
    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `user`; false when the bucket is empty.
    public func allow(_ user: String) -> Bool {
        let now = ContinuousClock.now
        var bucket = buckets[user] ?? Bucket(tokens: burst, updated: now)
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * rate)
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[user] = bucket
        if buckets.count > 100_000 { buckets = buckets.filter { $0.value.tokens < burst } }
        return allowed
    }
}
