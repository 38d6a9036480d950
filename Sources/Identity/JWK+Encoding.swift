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
