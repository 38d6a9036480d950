import Foundation
import IssuerSupport
import JWTKit
import Synchronization
import Testing
import TokenVerification

/// The authorizer result cache (API Gateway's authorizer caching; issue 8's profile of the edge):
/// a remembered token skips the signature check, never the claim rules.
@Suite struct TokenVerifierCacheTests {
    final class Clock: Sendable {
        private let time: Mutex<Date>
        init(_ start: Date) { time = Mutex(start) }
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    func verifier(_ keys: TokenVerifierTests.Keys, clock: Clock, cacheSeconds: TimeInterval) -> TokenVerifier {
        TokenVerifier(
            issuer: keys.settings.issuer, audience: keys.settings.clientId, keySource: StaticKeySetSource(keys.keySet),
            minimumRefetchInterval: .seconds(3600), resultCacheSeconds: cacheSeconds, now: { clock.now })
    }

    @Test func aRememberedTokenStillDiesAtItsExpiry() async throws {
        let keys = try await TokenVerifierTests.Keys()
        defer { keys.fixture.removeDirectory() }
        let clock = Clock(keys.now)
        let verifier = verifier(keys, clock: clock, cacheSeconds: 300)
        let token = try await keys.token(
            keys.claims(["exp": .number(keys.now.timeIntervalSince1970.rounded(.down) + 100)]))
        #expect(try await verifier.verify(token: token).name == "Nina")
        #expect(try await verifier.verify(token: token).name == "Nina")  // from the cache
        clock.advance(150)  // past exp, within the cache's 300 s
        await #expect(throws: AuthorizationError(.expired)) { try await verifier.verify(token: token) }
    }

    @Test func aTamperedTokenMissesTheCacheAndIsRefused() async throws {
        let keys = try await TokenVerifierTests.Keys()
        defer { keys.fixture.removeDirectory() }
        let verifier = verifier(keys, clock: Clock(keys.now), cacheSeconds: 300)
        let valid = try await keys.token(keys.claims())
        #expect(try await verifier.verify(token: valid).sub == "2f1c3a6e-0000-4000-8000-000000000001")
        let parts = valid.split(separator: ".").map(String.init)
        var tampered = keys.claims()
        tampered["email"] = .string("admin@example.com")
        let payload = Data(try JSONEncoder().encode(tampered)).base64URL
        await #expect(throws: AuthorizationError(.invalidSignature)) {
            try await verifier.verify(token: "\(parts[0]).\(payload).\(parts[2])")
        }
        let otherKey = try await keys.token(keys.claims(), keys: keys.otherSigning)
        await #expect(throws: AuthorizationError(.invalidSignature)) { try await verifier.verify(token: otherKey) }
        #expect(try await verifier.verify(token: valid).email == "nina@example.com")
    }
}
