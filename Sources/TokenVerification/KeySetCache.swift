import Foundation
import JWTKit
import Logging

/// The verifier's copy of the pool's public keys. It fetches on first use and again when a token
/// names a key it does not know (the pool rotated its key), but at most once per
/// `minimumRefetchInterval`, so a stream of tokens with made-up `kid`s cannot turn the verifier
/// into a load generator against the JWKS endpoint. Concurrent misses share one fetch. Until a
/// first fetch succeeds, every verification fails as "key set unavailable" (500) and the fetch is
/// retried at most once a second. A key set older than `maximumAge` is fetched again on the next
/// use, so a key the pool removed stops being trusted within that time (issue 19: it stayed
/// trusted until some token named an unknown `kid`); if that fetch fails the old keys stay.
actor KeySetCache {
    private let source: any KeySetSource
    private let minimumRefetchInterval: Duration
    private let maximumAge: Duration
    private let logger: Logger
    /// RS256 verifiers by `kid`, each holding exactly one key.
    private var keysByID: [String: JWTKeyCollection] = [:]
    private var lastFetch: ContinuousClock.Instant?
    private var fetching: Task<[String: JWTKeyCollection], any Error>?

    init(source: any KeySetSource, minimumRefetchInterval: Duration, maximumAge: Duration, logger: Logger) {
        self.source = source
        self.minimumRefetchInterval = minimumRefetchInterval
        self.maximumAge = maximumAge
        self.logger = logger
    }

    /// The verifier for `keyID`, fetching the key set if it is unknown and the rate limit allows.
    /// - Returns: `nil` when the key set (fresh or not) has no such key.
    /// - Throws: when no key set has been fetched yet and fetching fails (retried at most once a second).
    func keys(for keyID: String) async throws -> JWTKeyCollection? {
        if let keys = keysByID[keyID], let lastFetch, ContinuousClock.now - lastFetch < maximumAge { return keys }
        if let fetching {
            // The caller that started the fetch may resume after this one (actor reentrancy), so
            // take its result here too: otherwise a concurrent first request saw no keys (500).
            if let fetched = try? await fetching.value { keysByID = fetched }
            return try known(keyID)
        }
        // Without any keys (the pool was unreachable so far), retry soon; with keys, an unknown
        // kid refetches only after the full interval.
        let interval = keysByID.isEmpty ? Self.retryInterval : minimumRefetchInterval
        if let lastFetch, ContinuousClock.now - lastFetch < interval {
            return try known(keyID)
        }
        let task = Task { [source] in try await Self.load(try await source.fetchKeySet()) }
        fetching = task
        lastFetch = .now
        defer { fetching = nil }
        do {
            keysByID = try await task.value
        } catch {
            logger.error("cannot fetch the key set", metadata: ["error": "\(error)"])
        }
        return try known(keyID)
    }

    private static let retryInterval = Duration.seconds(1)

    private func known(_ keyID: String) throws -> JWTKeyCollection? {
        if keysByID.isEmpty { throw KeySetUnavailable() }
        return keysByID[keyID]
    }

    private struct KeySetUnavailable: Error {}

    /// RS256 verifiers for the RSA keys of a JWKS that have a `kid` and are for signatures. The
    /// algorithm is fixed here, not taken from the token, so a token cannot choose how it is checked.
    static func load(_ keySet: Data) async throws -> [String: JWTKeyCollection] {
        let document = try JSONDecoder().decode(KeySetDocument.self, from: keySet)
        var keysByID: [String: JWTKeyCollection] = [:]
        for key in document.keys
        where key.kty == "RSA" && (key.use ?? "sig") == "sig" && (key.alg ?? "RS256") == "RS256" {
            guard let kid = key.kid, let modulus = key.n, let exponent = key.e else { continue }
            let collection = JWTKeyCollection()
            await collection.add(
                rsa: try Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent), digestAlgorithm: .sha256,
                kid: JWKIdentifier(string: kid))
            keysByID[kid] = collection
        }
        return keysByID
    }

    private struct KeySetDocument: Decodable {
        var keys: [Key]
        struct Key: Decodable {
            var kty: String
            var kid: String?
            var alg: String?
            var use: String?
            var n: String?
            var e: String?
        }
    }
}
