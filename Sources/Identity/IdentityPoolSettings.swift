import Foundation

/// The user pool and app client the development identity provider plays, with the settings the
/// brief asks of the real Cognito pool (R-AUTH-1..5): email is the username, `name` and `email`
/// are required, one factor, no temporary passwords, refresh-token and user-password auth, no
/// client secret.
public struct IdentityPoolSettings: Sendable {
    /// The pool id, shaped like Cognito's `<region>_<9 letters or digits>`. Default `us-east-1_CakapDev1`.
    public var poolId: String
    /// The one app client's id (26 lowercase letters or digits, like Cognito's). It has no secret.
    public var clientId: String
    /// The region in the pool id. Default `us-east-1`.
    public var region: String
    /// Where the provider's routes are mounted as seen by clients, without a trailing slash, e.g.
    /// `http://127.0.0.1:8080/idp`. The issuer and the JWKS URL are built from it.
    public var publicBaseURL: String
    /// What a password must contain. Default: Cognito's default policy.
    public var passwordPolicy: PasswordPolicy
    /// Lifetime of ID and access tokens, in seconds. Default 3600 (Cognito's default).
    public var tokenValidity: Int
    /// Lifetime of refresh tokens, in seconds. Default 30 days (Cognito's default).
    public var refreshTokenValidity: Int
    /// Lifetime of a sign-up confirmation code, in seconds. Default 24 hours (Cognito's).
    public var confirmationCodeValidity: Int
    /// Lifetime of a password-reset code, in seconds. Default 1 hour (Cognito's).
    public var resetCodeValidity: Int
    /// Wrong codes accepted before a code is discarded. Default 5.
    public var maximumCodeAttempts: Int
    /// Consecutive wrong passwords before sign-in is refused for a while (the wait doubles with
    /// each further failure, up to 15 minutes). Default 5.
    public var maximumPasswordAttempts: Int
    /// bcrypt's cost (log2 of its rounds); values below 10 are raised to 10. Default 10: about
    /// 50 ms per hash on this project's 2-core machines, each step doubling it (see `PasswordHasher`).
    public var bcryptCost: UInt8
    /// Answer unknown users as Cognito does for new app clients (`PreventUserExistenceErrors:
    /// ENABLED`): sign-in says "Incorrect username or password." and code requests pretend to
    /// deliver. When `false`, `UserNotFoundException` is returned instead. Default `true`.
    public var preventUserExistenceErrors: Bool
    /// Development only, never the default: sign-up confirms the user and verifies the email at
    /// once (what a pre-sign-up Lambda trigger answering `autoConfirmUser` and `autoVerifyEmail`
    /// does on a real pool), for clients with no confirmation page such as the brief's reference
    /// client. Default `false`: an operator or the emailed code confirms (R-AUTH-7).
    public var autoConfirmSignUp: Bool
    /// Requests per second one client address may send, sustained (`TooManyRequestsException`
    /// beyond). Default 20, with bursts of `burstPerAddress` (default 300: a class signing up
    /// together from one school's address, or `cakap bench`'s 100 learners from loopback).
    public var requestsPerSecondPerAddress: Double
    /// See `requestsPerSecondPerAddress`.
    public var burstPerAddress: Double
    /// Requests per second naming one username (sign-in, codes, resets), sustained. Default 0.2
    /// (one every 5 s), with bursts of `burstPerAccount` (default 20).
    public var requestsPerSecondPerAccount: Double
    /// See `requestsPerSecondPerAccount`.
    public var burstPerAccount: Double

    /// Settings with every default above.
    public init(poolId: String, clientId: String, region: String, publicBaseURL: String) {
        self.poolId = poolId
        self.clientId = clientId
        self.region = region
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.passwordPolicy = PasswordPolicy()
        self.tokenValidity = 3600
        self.refreshTokenValidity = 30 * 24 * 3600
        self.confirmationCodeValidity = 24 * 3600
        self.resetCodeValidity = 3600
        self.maximumCodeAttempts = 5
        self.maximumPasswordAttempts = 5
        self.bcryptCost = 10
        self.preventUserExistenceErrors = true
        self.autoConfirmSignUp = false
        self.requestsPerSecondPerAddress = 20
        self.burstPerAddress = 300
        self.requestsPerSecondPerAccount = 0.2
        self.burstPerAccount = 20
    }

    /// The development pool: `us-east-1_CakapDev1` with client `cakapdevelopmentclient0001`.
    /// - Parameter publicBaseURL: where the provider is mounted, e.g. `http://127.0.0.1:8080/idp`.
    public static func development(publicBaseURL: String) -> Self {
        Self(
            poolId: "us-east-1_CakapDev1", clientId: "cakapdevelopmentclient0001", region: "us-east-1",
            publicBaseURL: publicBaseURL)
    }

    /// The development pool's ids (the base URL does not matter for them).
    public static var development: Self { development(publicBaseURL: "") }

    /// The `iss` claim of every token: `<publicBaseURL>/<poolId>`, as Cognito's is
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
    public var issuer: String { publicBaseURL + "/" + poolId }
    /// Where the public signing keys are served: `<issuer>/.well-known/jwks.json`.
    public var jwksURL: String { issuer + "/.well-known/jwks.json" }
}

/// A pool's password policy, with the fields of CloudFormation's `PasswordPolicy`.
public struct PasswordPolicy: Sendable, Equatable {
    /// Shortest password allowed. Default 8.
    public var minimumLength: Int
    /// At least one of A–Z. Default `true`.
    public var requireUppercase: Bool
    /// At least one of a–z. Default `true`.
    public var requireLowercase: Bool
    /// At least one of 0–9. Default `true`.
    public var requireNumbers: Bool
    /// At least one of Cognito's symbols (`^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + -`
    /// or a space inside the password). Default `true`.
    public var requireSymbols: Bool

    /// Cognito's default policy, or the one given.
    public init(
        minimumLength: Int = 8, requireUppercase: Bool = true, requireLowercase: Bool = true,
        requireNumbers: Bool = true, requireSymbols: Bool = true
    ) {
        self.minimumLength = minimumLength
        self.requireUppercase = requireUppercase
        self.requireLowercase = requireLowercase
        self.requireNumbers = requireNumbers
        self.requireSymbols = requireSymbols
    }

    /// Cognito's longest password.
    static let maximumLength = 256
    static let symbols = Set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")

    /// Why `password` breaks the policy, in Cognito's words (after "Password did not conform with
    /// policy: "), or `nil` when it conforms.
    func violation(of password: String) -> String? {
        if password.count < minimumLength { return "Password not long enough" }
        if password.count > Self.maximumLength { return "Password is too long" }
        if requireUppercase, !password.contains(where: { $0.isASCII && $0.isUppercase }) {
            return "Password must have uppercase characters"
        }
        if requireLowercase, !password.contains(where: { $0.isASCII && $0.isLowercase }) {
            return "Password must have lowercase characters"
        }
        if requireNumbers, !password.contains(where: { $0.isASCII && $0.isNumber }) {
            return "Password must have numeric characters"
        }
        if requireSymbols, !password.contains(where: { Self.symbols.contains($0) }) {
            return "Password must have symbol characters"
        }
        return nil
    }
}
