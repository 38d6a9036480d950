import Crypto
import Foundation
import JWTKit
import TokenVerification

/// Sign-in, refresh, the user's own profile and global sign-out.
extension DevelopmentIdentityProvider {
    func initiateAuth(_ request: InitiateAuthRequest) async throws -> InitiateAuthResponse {
        try checkClient(request.clientId)
        let parameters = request.authParameters ?? [:]
        switch request.authFlow {
        case "USER_PASSWORD_AUTH":
            return try await passwordSignIn(username: parameters["USERNAME"], password: parameters["PASSWORD"])
        case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
            return try await refreshSignIn(refreshToken: parameters["REFRESH_TOKEN"])
        case nil:
            throw CognitoError.missing("authFlow")
        case let flow?:
            throw CognitoError.invalidParameter("\(flow) flow not enabled for this client")
        }
    }

    func getUser(_ request: AccessTokenRequest) async throws -> GetUserResponse {
        let user = try await user(forAccessToken: request.accessToken)
        let attributes = [
            AttributeType(name: "sub", value: user.sub),
            AttributeType(name: "email_verified", value: user.emailVerified ? "true" : "false"),
            AttributeType(name: "name", value: user.name),
            AttributeType(name: "email", value: user.email),
        ]
        return GetUserResponse(username: user.sub, userAttributes: attributes)
    }

    /// Revokes every refresh token of the user, and with them the access tokens issued from them.
    func globalSignOut(_ request: AccessTokenRequest) async throws -> EmptyResponse {
        let user = try await user(forAccessToken: request.accessToken)
        try update { database in database.sessions = database.sessions.filter { $0.value.sub != user.sub } }
        logger.info("global sign-out", metadata: ["sub": "\(user.sub)"])
        return EmptyResponse()
    }

    // MARK: Flows

    private func passwordSignIn(username: String?, password: String?) async throws -> InitiateAuthResponse {
        guard let username else { throw CognitoError.invalidParameter("Missing required parameter USERNAME") }
        guard let password else { throw CognitoError.invalidParameter("Missing required parameter PASSWORD") }
        try refresh()
        let account = username.trimmingCharacters(in: .whitespaces).lowercased()
        // Checked and counted before the bcrypt wait, with no `await` in between (issue 19): the
        // actor runs other sign-ins during the wait, and checking before but counting after let
        // hundreds of guesses in. The attempt counts as a failure until the password proves right.
        if Self.isLocked(failedSignIns[account], now: now()) { throw CognitoError.passwordAttemptsExceeded }
        recordFailure(in: &failedSignIns, key: account, allowed: settings.maximumPasswordAttempts)
        guard let user = database.user(email: account) else {
            // As slow as a wrong password, and locked out the same way, so neither the answer nor
            // its timing tells which addresses have accounts.
            _ = await PasswordHasher.verify(password, hash: await decoy())
            throw settings.preventUserExistenceErrors ? CognitoError.incorrectCredentials : .userNotFound
        }
        guard await PasswordHasher.verify(password, hash: user.passwordHash) else {
            throw CognitoError.incorrectCredentials
        }
        failedSignIns[account] = nil
        // Re-read after the wait: an operator may have confirmed, or the password changed meanwhile.
        try refresh()
        guard let current = database.users[user.sub], current.passwordHash == user.passwordHash else {
            throw CognitoError.incorrectCredentials
        }
        guard current.status == .confirmed else { throw CognitoError.userNotConfirmed }

        let refreshToken = Self.randomToken()
        let session = SessionRecord(
            id: UUID().uuidString.lowercased(), sub: current.sub,
            refreshTokenDigest: SHA256.hash(data: Data(refreshToken.utf8)).hexString, authTime: now(),
            expiresAt: now() + TimeInterval(settings.refreshTokenValidity))
        try update { database in database.sessions[session.id] = session }
        logger.info("signed in", metadata: ["sub": "\(current.sub)"])
        return InitiateAuthResponse(
            authenticationResult: try await tokens(for: current, session: session, refreshToken: refreshToken))
    }

    private func refreshSignIn(refreshToken: String?) async throws -> InitiateAuthResponse {
        guard let refreshToken else { throw CognitoError.invalidParameter("Missing required parameter REFRESH_TOKEN") }
        try refresh()
        guard let session = database.session(refreshToken: refreshToken), session.expiresAt > now(),
            let user = database.users[session.sub], user.status == .confirmed
        else { throw CognitoError(.notAuthorized, "Invalid Refresh Token") }
        return InitiateAuthResponse(
            authenticationResult: try await tokens(for: user, session: session, refreshToken: nil))
    }

    // MARK: Tokens

    private func tokens(
        for user: UserRecord, session: SessionRecord, refreshToken: String?
    ) async throws
        -> AuthenticationResult
    {
        let issuedAt = Int(now().timeIntervalSince1970)
        let expiry = issuedAt + settings.tokenValidity
        let authTime = Int(session.authTime.timeIntervalSince1970)
        let idClaims = IDTokenClaims(
            sub: user.sub, email: user.email, emailVerified: user.emailVerified, name: user.name,
            aud: settings.clientId, iss: settings.issuer, cognitoUsername: user.sub, authTime: authTime,
            iat: issuedAt, exp: expiry, jti: UUID().uuidString.lowercased(), originJTI: session.id)
        let accessClaims = AccessTokenClaims(
            sub: user.sub, clientID: settings.clientId, username: user.sub, iss: settings.issuer, authTime: authTime,
            iat: issuedAt, exp: expiry, jti: UUID().uuidString.lowercased(), originJTI: session.id)
        let keys = await signingKeys()
        let kid = JWKIdentifier(string: keyID)
        return AuthenticationResult(
            accessToken: try await keys.sign(accessClaims, kid: kid), idToken: try await keys.sign(idClaims, kid: kid),
            refreshToken: refreshToken, expiresIn: settings.tokenValidity)
    }

    /// The user behind an access token of this pool whose session is still open.
    private func user(forAccessToken accessToken: String?) async throws -> UserRecord {
        guard let accessToken else { throw CognitoError.missing("accessToken") }
        let invalid = CognitoError(.notAuthorized, "Invalid Access Token")
        let claims: [String: ClaimValue]
        do {
            let token = try SignedToken(accessToken)
            guard token.keyID == keyID else { throw invalid }
            claims = try await token.verifiedClaims(with: signingKeys())
            let rules = ClaimRules(
                issuer: settings.issuer, tokenUse: "access", audienceClaim: "client_id", audience: settings.clientId,
                clockSkew: 60)
            try rules.check(claims, now: now())
        } catch let error as AuthorizationError where error.reason == .expired {
            throw CognitoError(.notAuthorized, "Access Token has expired")
        } catch {
            throw invalid
        }
        try refresh()
        guard let sessionID = claims["origin_jti"]?.stringValue, database.sessions[sessionID] != nil else {
            throw CognitoError(.notAuthorized, "Access Token has been revoked")
        }
        guard let sub = claims["sub"]?.stringValue, let user = database.users[sub] else {
            throw CognitoError.userNotFound
        }
        return user
    }

    /// 256 random bits, base64url: a refresh token.
    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64URLEncodedString()
    }

    /// Whether a lockout of ``recordFailure(in:key:allowed:)`` is running.
    static func isLocked(_ failures: FailedSignIns?, now: Date) -> Bool {
        guard let lockedUntil = failures?.lockedUntil else { return false }
        return lockedUntil > now
    }

    /// One more failure for `key`; from the `allowed`th on, a lockout of `base` seconds doubling
    /// with each further failure, up to 15 min.
    func recordFailure(in table: inout [String: FailedSignIns], key: String, allowed: Int, base: Double = 1) {
        var failures = table[key] ?? FailedSignIns()
        failures.count += 1
        let excess = failures.count - allowed
        if excess >= 0 {
            failures.lockedUntil = now() + min(base * pow(2, Double(min(excess, 20))), 900)
        }
        table[key] = failures
        if table.count > 100_000 { table = table.filter { Self.isLocked($0.value, now: now()) } }
    }

    private func decoy() async -> String {
        if let decoyHash { return decoyHash }
        let hash = await PasswordHasher.hash(Self.randomToken(), cost: settings.bcryptCost)
        decoyHash = hash
        return hash
    }
}
