import Foundation

/// One public RSA key in a JWKS.
struct PublicJWK: Codable {
    var alg = "RS256"
    var e: String
    var kid: String
    var kty = "RSA"
    var n: String
    var use = "sig"

    init(kid: String, n: String, e: String) {
        self.kid = kid
        self.n = n
        self.e = e
    }
}

extension Data {
    /// Base64url without padding (RFC 7515 §2).
    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url, as in JWTs; `nil` for anything else (padding, `+`, `/`, junk).
    init?(base64URLEncoded text: some StringProtocol) {
        guard !text.contains(where: { $0 == "+" || $0 == "/" || $0 == "=" }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
