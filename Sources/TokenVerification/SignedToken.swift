import Foundation
import JWTKit

/// A compact JWS whose header has been read but whose signature is not yet checked.
package struct SignedToken {
    let text: String
    /// The header's `kid`.
    package let keyID: String

    /// Reads the header: three base64url parts, a JSON object header, `alg` exactly `RS256`, a `kid`.
    package init(_ text: String) throws(AuthorizationError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            let headerData = Data(base64URLEncoded: parts[0]),
            let header = try? JSONDecoder().decode([String: ClaimValue].self, from: headerData)
        else { throw AuthorizationError(.malformedToken) }
        guard header["alg"] == .string("RS256") else { throw AuthorizationError(.unsupportedAlgorithm) }
        // A critical extension we do not understand must not be ignored (RFC 7515 §4.1.11).
        guard header["crit"] == nil else { throw AuthorizationError(.malformedToken) }
        guard let keyID = header["kid"]?.stringValue, !keyID.isEmpty else {
            throw AuthorizationError(.missingKeyID)
        }
        guard !parts[2].isEmpty, Data(base64URLEncoded: parts[2]) != nil else {
            throw AuthorizationError(.invalidSignature)
        }
        self.text = text
        self.keyID = keyID
    }

    /// The payload, once the signature verifies with `keys` (one RS256 key).
    package func verifiedClaims(with keys: JWTKeyCollection) async throws(AuthorizationError) -> [String: ClaimValue] {
        do {
            return try await keys.verify(text, as: RawClaims.self).values
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw AuthorizationError(.invalidSignature)
        } catch {
            throw AuthorizationError(.malformedToken)
        }
    }
}

/// A payload decoded as plain JSON; its claims are checked by `ClaimRules` against an explicit clock.
struct RawClaims: JWTPayload {
    var values: [String: ClaimValue]

    init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: ClaimValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    func verify(using algorithm: some JWTAlgorithm) throws {}
}

/// The claim checks shared by the ID-token verifier and the provider's access-token checks.
package struct ClaimRules {
    var issuer: String
    /// `id` or `access`.
    var tokenUse: String
    /// `aud` for ID tokens, `client_id` for access tokens.
    var audienceClaim: String
    var audience: String
    var clockSkew: TimeInterval

    package init(issuer: String, tokenUse: String, audienceClaim: String, audience: String, clockSkew: TimeInterval) {
        self.issuer = issuer
        self.tokenUse = tokenUse
        self.audienceClaim = audienceClaim
        self.audience = audience
        self.clockSkew = clockSkew
    }

    package func check(_ claims: [String: ClaimValue], now: Date) throws(AuthorizationError) {
        guard claims["iss"] == .string(issuer) else { throw AuthorizationError(.wrongIssuer) }
        guard claims["token_use"] == .string(tokenUse) else { throw AuthorizationError(.wrongTokenUse) }
        let audiences: [ClaimValue] =
            switch claims[audienceClaim] {
            case .array(let values)?: values
            case let value?: [value]
            case nil: []
            }
        guard audiences.contains(.string(audience)) else { throw AuthorizationError(.wrongAudience) }
        guard let sub = claims["sub"]?.stringValue, !sub.isEmpty, let expiry = claims["exp"]?.numberValue else {
            throw AuthorizationError(.missingClaim)
        }
        let seconds = now.timeIntervalSince1970
        guard seconds < expiry else { throw AuthorizationError(.expired) }
        for name in ["nbf", "iat"] {
            guard let value = claims[name] else { continue }
            guard let time = value.numberValue else { throw AuthorizationError(.missingClaim) }
            guard time <= seconds + clockSkew else { throw AuthorizationError(.notYetValid) }
        }
    }
}
