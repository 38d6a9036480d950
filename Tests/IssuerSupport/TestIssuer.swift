import Foundation
import Identity
import JWTKit
import Logging
import TokenVerification

/// A real issuer for tests of what verifies tokens (the verifier, the service server): the
/// development identity provider over a temporary folder, so the key set read is the one the
/// provider serves (the signing key is in `directory/signing-key.pem`). The verifier itself does
/// not depend on the provider.
public struct IssuerFixture: Sendable {
    public let directory = NSTemporaryDirectory() + "cakap-verifier-test-\(UUID().uuidString)"
    public let settings = IdentityPoolSettings.development(publicBaseURL: "http://127.0.0.1:8080/idp")

    public init() {}

    public func makeProvider() throws -> DevelopmentIdentityProvider {
        try DevelopmentIdentityProvider(
            settings: settings, dataDirectory: directory,
            logger: Logger(label: "test.issuer", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    public func removeDirectory() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A pool's key and JWKS, a second unrelated key, and a verifier whose clock is `now`.
public struct TestIssuer: Sendable {
    public let fixture = IssuerFixture()
    public let signing: JWTKeyCollection
    public let otherSigning: JWTKeyCollection
    public let keyID: String
    public let keySet: Data
    public let publicKeyPEM: String
    public let now = Date()

    public init() async throws {
        let provider = try fixture.makeProvider()
        keySet = provider.keySetJSON
        let document = try JSONSerialization.jsonObject(with: keySet) as? [String: [[String: String]]]
        guard let kid = document?["keys"]?.first?["kid"] else { throw CocoaError(.coderValueNotFound) }
        keyID = kid
        let pem = try String(contentsOfFile: fixture.directory + "/signing-key.pem", encoding: .utf8)
        let privateKey = try Insecure.RSA.PrivateKey(pem: pem)
        publicKeyPEM = privateKey.publicKey.pemRepresentation
        signing = JWTKeyCollection()
        await signing.add(rsa: privateKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
        let other = IssuerFixture()
        defer { other.removeDirectory() }
        _ = try other.makeProvider()
        let otherPEM = try String(contentsOfFile: other.directory + "/signing-key.pem", encoding: .utf8)
        otherSigning = JWTKeyCollection()
        await otherSigning.add(
            rsa: try Insecure.RSA.PrivateKey(pem: otherPEM), digestAlgorithm: .sha256,
            kid: JWKIdentifier(string: keyID))
    }

    public var settings: IdentityPoolSettings { fixture.settings }

    public var verifier: TokenVerifier {
        let now = self.now
        return TokenVerifier(
            issuer: settings.issuer, audience: settings.clientId, keySource: StaticKeySetSource(keySet),
            minimumRefetchInterval: .seconds(3600), now: { now })
    }

    /// Valid ID-token claims, with `changes` applied (`nil` removes a claim).
    public func claims(_ changes: [String: ClaimValue?] = [:]) -> [String: ClaimValue] {
        let time = now.timeIntervalSince1970.rounded(.down)
        var claims: [String: ClaimValue] = [
            "sub": .string("2f1c3a6e-0000-4000-8000-000000000001"), "email": .string("nina@example.com"),
            "email_verified": .bool(true), "name": .string("Nina"), "token_use": .string("id"),
            "aud": .string(settings.clientId), "iss": .string(settings.issuer),
            "cognito:username": .string("2f1c3a6e-0000-4000-8000-000000000001"), "auth_time": .number(time - 10),
            "iat": .number(time - 10), "exp": .number(time + 3590),
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    public func token(
        _ claims: [String: ClaimValue], kid: String? = nil, keys: JWTKeyCollection? = nil
    ) async throws
        -> String
    {
        try await (keys ?? signing).sign(ForgedClaims(values: claims), kid: JWKIdentifier(string: kid ?? keyID))
    }
}

/// A payload of arbitrary claims, to forge tokens.
public struct ForgedClaims: JWTPayload {
    public var values: [String: ClaimValue]
    public init(values: [String: ClaimValue]) { self.values = values }
    public init(from decoder: any Decoder) throws { values = try [String: ClaimValue](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    public func verify(using algorithm: some JWTAlgorithm) throws {}
}
