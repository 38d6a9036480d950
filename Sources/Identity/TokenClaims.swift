import JWTKit

/// The claims of an ID token, as Cognito issues them (R-AUTH-6: this is what the client sends).
struct IDTokenClaims: JWTPayload {
    var sub: String
    var email: String
    var emailVerified: Bool
    var name: String
    var tokenUse = "id"
    /// The app client id.
    var aud: String
    var iss: String
    /// The Cognito username, which is the `sub` in an email sign-in pool.
    var cognitoUsername: String
    var authTime: Int
    var iat: Int
    var exp: Int
    var jti: String
    /// The session (refresh token) this token came from.
    var originJTI: String

    enum CodingKeys: String, CodingKey {
        case sub, email, name, aud, iss, iat, exp, jti
        case emailVerified = "email_verified"
        case tokenUse = "token_use"
        case cognitoUsername = "cognito:username"
        case authTime = "auth_time"
        case originJTI = "origin_jti"
    }

    /// Claims are checked by ``TokenVerifier``, against an explicit clock; nothing to do here.
    func verify(using algorithm: some JWTAlgorithm) throws {}
}

/// The claims of an access token, as Cognito issues them: for the pool's own user APIs (`GetUser`,
/// `GlobalSignOut`); API Gateway refuses them where an ID token is expected.
struct AccessTokenClaims: JWTPayload {
    var sub: String
    var tokenUse = "access"
    var clientID: String
    var scope = "aws.cognito.signin.user.admin"
    /// The Cognito username (the `sub` here).
    var username: String
    var iss: String
    var authTime: Int
    var iat: Int
    var exp: Int
    var jti: String
    var originJTI: String

    enum CodingKeys: String, CodingKey {
        case sub, scope, username, iss, iat, exp, jti
        case tokenUse = "token_use"
        case clientID = "client_id"
        case authTime = "auth_time"
        case originJTI = "origin_jti"
    }

    func verify(using algorithm: some JWTAlgorithm) throws {}
}
