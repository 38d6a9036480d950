import Foundation

/// The claims of tokens whose signature already verified, so a token seen again skips the RSA
/// check and the JSON decoding: API Gateway's authorizer result caching (`authorizerResultTtlInSeconds`,
/// 300 s by default for a Cognito authorizer). `cakap bench` found the signature check and decoding
/// to be a quarter of the edge's work per request (docs/benchmarks.md).
///
/// Keyed by the whole compact token, so any change to it (header, payload or signature) misses.
/// A hit is still checked against the claim rules at that moment, so a cached token dies at its
/// `exp` exactly as an uncached one. Bounded: when `capacity` is reached, expired entries are
/// dropped, then everything if that was not enough.
final class VerifiedTokenCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (claims: [String: ClaimValue], until: Date)] = [:]
    let timeToLive: TimeInterval
    let capacity: Int

    init(timeToLive: TimeInterval, capacity: Int = 10_000) {
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    /// The cached claims of `token`, when it verified less than `timeToLive` ago.
    func claims(for token: String, now: Date) -> [String: ClaimValue]? {
        lock.withLock {
            guard let entry = entries[token] else { return nil }
            guard entry.until > now else {
                entries[token] = nil
                return nil
            }
            return entry.claims
        }
    }

    /// Remembers that `token` verified with `claims`.
    func insert(_ token: String, claims: [String: ClaimValue], now: Date) {
        lock.withLock {
            if entries.count >= capacity {
                entries = entries.filter { $0.value.until > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = (claims, now.addingTimeInterval(timeToLive))
        }
    }
}
