import Crypto
import Foundation
import JWTKit
import Logging
import TokenVerification
import _CryptoExtras

/// A stand-in for the Cognito user pool of R-AUTH-1..7, speaking Cognito's JSON protocol so the
/// same client code works against it, against moto and against AWS.
///
/// Users and sessions live in `users.json` in the data directory and the signing key beside it
/// (see `IdentityFiles`), so accounts and issued tokens survive a restart. Another process may
/// change the directory at the same time (`cakap users confirm`): every change is a locked
/// read-modify-write, and every action first re-reads the file if it was replaced.
///
/// Codes that Cognito would email are written to the log at `notice` level instead, with the
/// address, the code and what it is for. Passwords, tokens and refresh tokens are never logged or
/// stored in the clear.
public actor DevelopmentIdentityProvider {
    /// The pool this provider plays.
    public nonisolated let settings: IdentityPoolSettings
    /// The public signing key, as served at ``IdentityPoolSettings/jwksURL``.
    public nonisolated let keySetJSON: Data
    let files: IdentityFiles
    let logger: Logger
    let now: @Sendable () -> Date
    let keyID: String
    /// JWTKit's wrapper of the RSA key (`Insecure` is its namespace for raw RSA, not a weakness).
    private let privateKey: JWTKit.Insecure.RSA.PrivateKey
    private var keys: JWTKeyCollection?
    var database: IdentityDatabase
    private var databaseStamp: FileStamp?
    /// Consecutive wrong passwords by username, known or not (so a lockout does not reveal which
    /// addresses have accounts); kept in memory only, like a short-lived lockout.
    var failedSignIns: [String: FailedSignIns] = [:]
    /// Wrong confirmation and reset codes by username. Not cleared when a new code is sent
    /// (ForgotPassword, ResendConfirmationCode), so asking for codes again and again does not
    /// buy more guesses (issue 19): a 6-digit code cannot be brute-forced.
    var failedCodeChecks: [String: FailedSignIns] = [:]
    /// Requests per client address and per username (issue 19: `/idp` had no rate limit).
    let addressLimiter: Throttle
    let accountLimiter: Throttle
    /// A hash to check against when the user does not exist, so that answer takes as long as a wrong password.
    var decoyHash: String?

    /// Opens (or creates) the pool's data directory.
    /// - Parameters:
    ///   - settings: the pool.
    ///   - dataDirectory: where users, sessions and the signing key are kept (created with mode 0700).
    ///   - logger: receives the development codes and one line per action.
    ///   - now: the clock; tests move it to expire codes and tokens. Default: the system clock.
    /// - Throws: ``CognitoError`` `InternalErrorException` when the directory or its files are unusable.
    public init(
        settings: IdentityPoolSettings, dataDirectory: String, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        let files = try IdentityFiles(directory: dataDirectory)
        let (privateKey, database) = try files.withLock {
            (try files.loadOrCreateSigningKey(), try files.readDatabase())
        }
        let publicKey = privateKey.publicKey
        let primitives = try publicKey.getKeyPrimitives()
        let keyID = Data(SHA256.hash(data: publicKey.derRepresentation)).base64URLEncodedString()
        let jwk = PublicJWK(
            kid: keyID, n: primitives.modulus.base64URLEncodedString(),
            e: primitives.publicExponent.base64URLEncodedString())
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.keySetJSON = try encoder.encode(["keys": [jwk]])
        self.settings = settings
        self.files = files
        self.logger = logger
        self.now = now
        self.addressLimiter = Throttle(rate: settings.requestsPerSecondPerAddress, burst: settings.burstPerAddress)
        self.accountLimiter = Throttle(rate: settings.requestsPerSecondPerAccount, burst: settings.burstPerAccount)
        self.keyID = keyID
        self.privateKey = try JWTKit.Insecure.RSA.PrivateKey(backing: privateKey)
        self.database = database
        self.databaseStamp = files.databaseStamp()
    }

    /// Confirms a sign-up as an operator would (R-AUTH-7), like Cognito's `AdminConfirmSignUp`:
    /// the user can sign in; the address stays unverified, as it was not proven with a code.
    /// - Throws: ``CognitoError`` `UserNotFoundException` for an unknown address.
    public func confirmUser(email: String) throws {
        let confirmed: Bool = try update { database in
            guard var user = database.user(email: email) else { return false }
            user.status = .confirmed
            user.confirmationCode = nil
            user.updatedAt = now()
            database.users[user.sub] = user
            return true
        }
        guard confirmed else { throw CognitoError.userNotFound }
        logger.notice("user confirmed by an operator", metadata: ["email": "\(email.lowercased())"])
    }

    /// Every user, oldest first.
    public func listUsers() throws -> [IdentityUser] {
        try refresh()
        return database.users.values.sorted { ($0.createdAt, $0.email) < ($1.createdAt, $1.email) }.map(
            IdentityUser.init)
    }

    // MARK: Storage

    /// Re-reads `users.json` if another process replaced it since we last read or wrote it.
    func refresh() throws {
        let stamp = files.databaseStamp()
        guard stamp != databaseStamp else { return }
        database = try files.readDatabase()
        databaseStamp = stamp
    }

    /// A read-modify-write of the stored users under the cross-process lock. `body` must not
    /// throw after changing the database; return the failure instead so the change is kept.
    func update<T>(_ body: (inout IdentityDatabase) throws -> T) throws -> T {
        try files.withLock {
            try refresh()
            var changed = database
            let result = try body(&changed)
            changed.removeExpiredSessions(now: now())
            guard changed != database else { return result }
            try files.writeDatabase(changed)
            database = changed
            databaseStamp = files.databaseStamp()
            return result
        }
    }

    // MARK: Tokens

    /// The signing key as a JWTKit collection (RS256 under `keyID`), built on first use.
    func signingKeys() async -> JWTKeyCollection {
        if let keys { return keys }
        let collection = JWTKeyCollection()
        await collection.add(rsa: privateKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
        // Another call may have built one while this one waited.
        if let keys { return keys }
        keys = collection
        return collection
    }
}

extension DevelopmentIdentityProvider: KeySetSource {
    /// The provider's own JWKS, for a ``TokenVerifier`` in the same process.
    public nonisolated func fetchKeySet() async throws -> Data { keySetJSON }
}

/// A user as `cakap users list` shows it.
public struct IdentityUser: Sendable, Equatable {
    /// The immutable id.
    public let sub: String
    /// The sign-in address.
    public let email: String
    /// The `name` attribute.
    public let name: String
    /// Cognito's `UserStatus`: `UNCONFIRMED` or `CONFIRMED`.
    public let status: String
    /// Whether the address was proven with a code.
    public let emailVerified: Bool
    /// When the user signed up.
    public let createdAt: Date

    init(_ record: UserRecord) {
        sub = record.sub
        email = record.email
        name = record.name
        status = record.status.rawValue
        emailVerified = record.emailVerified
        createdAt = record.createdAt
    }
}

/// Wrong passwords in a row, and until when sign-in is refused.
struct FailedSignIns {
    var count = 0
    var lockedUntil: Date?
}
