import AsyncHTTPClient
import Foundation
import JWTKit
import Logging

/// What API Gateway's Cognito authorizer does with the `Authorization` header (R-AUTH-6): accept
/// a pool's ID token and nothing else.
///
/// A token passes when all of these hold:
/// - the header is `<token>` or `Bearer <token>` and the token is a compact JWS;
/// - its header says `alg: RS256` (so `none`, `HS256` keyed with the public key, and every other
///   algorithm fail before any key is touched) and names a `kid` that is in the pool's JWKS;
/// - the RS256 signature verifies with that key (any change to header or payload breaks it);
/// - `iss` is the pool's issuer, `aud` is the app client id, `token_use` is `id`, `sub` is present;
/// - `exp` is in the future (no leeway: a token is dead at `exp`, as in Cognito);
/// - `nbf` and `iat`, when present, are not more than `clockSkew` (default 60 s) in the future,
///   which absorbs small differences between the issuer's clock and ours.
///
/// Failures and their statuses and bodies are described on ``AuthorizationError``. Like API
/// Gateway, the verifier does not ask the pool whether the session was signed out: an ID token
/// stays valid until it expires.
public struct TokenVerifier: Sendable {
    /// The expected `iss`.
    public let issuer: String
    /// The expected `aud`: the app client id.
    public let audience: String
    /// Leeway for `nbf` and `iat` only.
    public let clockSkew: TimeInterval
    let cache: KeySetCache
    let verifiedTokens: VerifiedTokenCache?
    let now: @Sendable () -> Date

    /// A verifier that fetches the JWKS over HTTP and caches it.
    /// - Parameters:
    ///   - jwksURL: the pool's JWKS; for Cognito `<issuer>/.well-known/jwks.json`.
    ///   - issuer: the expected `iss`.
    ///   - audience: the app client id.
    ///   - httpClient: used for the JWKS fetches; owned by the caller.
    public init(jwksURL: String, issuer: String, audience: String, httpClient: HTTPClient) {
        self.init(
            issuer: issuer, audience: audience, keySource: HTTPKeySetSource(url: jwksURL, httpClient: httpClient))
    }

    /// A verifier that fetches the JWKS with AsyncHTTPClient's shared client.
    public init(jwksURL: String, issuer: String, audience: String) {
        self.init(jwksURL: jwksURL, issuer: issuer, audience: audience, httpClient: .shared)
    }

    /// A verifier over any key source.
    /// - Parameters:
    ///   - keySource: where the JWKS comes from.
    ///   - clockSkew: leeway for `nbf`/`iat`, seconds. Default 60.
    ///   - minimumRefetchInterval: the shortest time between two JWKS fetches. Default 30 s.
    ///   - maximumKeySetAge: a key set older than this is fetched again on next use, so a removed
    ///     key stops being trusted. Default 10 minutes.
    ///   - logger: for fetch failures. Default: discards.
    ///   - resultCacheSeconds: how long a token whose signature verified is remembered, so it is not
    ///     verified again (API Gateway's authorizer result caching; ``VerifiedTokenCache``). The
    ///     claim rules, `exp` included, are still checked on every use. Default 0: no caching.
    ///   - now: the clock. Default: the system clock.
    public init(
        issuer: String, audience: String, keySource: some KeySetSource, clockSkew: TimeInterval = 60,
        minimumRefetchInterval: Duration = .seconds(30), maximumKeySetAge: Duration = .seconds(600),
        logger: Logger = Logger(label: "cakap.identity.verifier", factory: { _ in SwiftLogNoOpLogHandler() }),
        resultCacheSeconds: TimeInterval = 0,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.issuer = issuer
        self.audience = audience
        self.clockSkew = clockSkew
        self.cache = KeySetCache(
            source: keySource, minimumRefetchInterval: minimumRefetchInterval, maximumAge: maximumKeySetAge,
            logger: logger)
        self.verifiedTokens = resultCacheSeconds > 0 ? VerifiedTokenCache(timeToLive: resultCacheSeconds) : nil
        self.now = now
    }

    /// Verifies the `Authorization` header's ID token.
    /// - Parameter authorizationHeader: the header's value, `nil` when it is absent.
    /// - Returns: who the caller is.
    /// - Throws: ``AuthorizationError``.
    public func verify(authorizationHeader: String?) async throws(AuthorizationError) -> VerifiedIdentity {
        try await verify(token: Self.token(fromAuthorizationHeader: authorizationHeader))
    }

    /// Verifies a bare ID token.
    public func verify(token text: String) async throws(AuthorizationError) -> VerifiedIdentity {
        let rules = ClaimRules(
            issuer: issuer, tokenUse: "id", audienceClaim: "aud", audience: audience, clockSkew: clockSkew)
        if let claims = verifiedTokens?.claims(for: text, now: now()) {
            try rules.check(claims, now: now())
            return VerifiedIdentity(claims: claims)
        }
        let token = try SignedToken(text)
        let keys: JWTKeyCollection?
        do {
            keys = try await cache.keys(for: token.keyID)
        } catch {
            throw AuthorizationError(.keySetUnavailable)
        }
        guard let keys else { throw AuthorizationError(.unknownKeyID) }
        let claims = try await token.verifiedClaims(with: keys)
        try rules.check(claims, now: now())
        verifiedTokens?.insert(text, claims: claims, now: now())
        return VerifiedIdentity(claims: claims)
    }

    /// The token in an `Authorization` header: the value itself, or what follows `Bearer `.
    static func token(fromAuthorizationHeader header: String?) throws(AuthorizationError) -> String {
        var value = (header ?? "").trimmingCharacters(in: .whitespaces)
        if value.lowercased() == "bearer" {
            value = ""
        } else if value.lowercased().hasPrefix("bearer ") {
            value = value.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        }
        guard !value.isEmpty else { throw AuthorizationError(.missingToken) }
        return value
    }
}

/// The caller behind a verified ID token.
public struct VerifiedIdentity: Sendable, Equatable {
    /// The user's immutable id.
    public let sub: String
    /// The `email` claim.
    public let email: String?
    /// The `name` claim.
    public let name: String?
    /// Every claim of the token.
    public let claims: [String: ClaimValue]

    init(claims: [String: ClaimValue]) {
        self.sub = claims["sub"]?.stringValue ?? ""
        self.email = claims["email"]?.stringValue
        self.name = claims["name"]?.stringValue
        self.claims = claims
    }
}
