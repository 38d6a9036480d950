import Crypto
import Foundation

/// One user as stored. Never holds a password, a token or a code in the clear.
struct UserRecord: Codable, Sendable, Equatable {
    /// Cognito's `UserStatus`.
    enum Status: String, Codable, Sendable {
        case unconfirmed = "UNCONFIRMED"
        case confirmed = "CONFIRMED"
    }

    /// The immutable id (a UUID), also the Cognito username in an email sign-in pool.
    var sub: String
    /// The email address, lowercased: it is the sign-in name (R-AUTH-1).
    var email: String
    /// The `name` attribute (R-AUTH-4).
    var name: String
    /// bcrypt of the SHA-256 of the password (see `PasswordHasher`).
    var passwordHash: String
    var status: Status
    /// Set when the user proved the address with a code.
    var emailVerified: Bool
    var createdAt: Date
    var updatedAt: Date
    /// The pending sign-up confirmation code.
    var confirmationCode: PendingCode?
    /// The pending password-reset code.
    var resetCode: PendingCode?
}

/// A 6-digit code waiting to be entered. Only a digest is kept; six digits cannot really be hidden
/// by a hash, so the code's protection is its short life, the attempt limit and the file's 0600 mode.
struct PendingCode: Codable, Sendable, Equatable {
    /// SHA-256 of the user's `sub` and the code.
    var digest: String
    var expiresAt: Date
    var failedAttempts: Int

    /// A fresh random code valid for `lifetime` seconds, and its record.
    static func make(for sub: String, lifetime: Int, now: Date) -> (code: String, pending: PendingCode) {
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        return (
            code,
            PendingCode(digest: digest(code, sub: sub), expiresAt: now + TimeInterval(lifetime), failedAttempts: 0)
        )
    }

    static func digest(_ code: String, sub: String) -> String {
        SHA256.hash(data: Data((sub + ":" + code).utf8)).hexString
    }
}

/// A signed-in session: one refresh token and the tokens issued from it. GlobalSignOut deletes a
/// user's sessions, which revokes the refresh tokens and, for `GetUser`, the access tokens too.
struct SessionRecord: Codable, Sendable, Equatable {
    /// Carried in the access and ID tokens as `origin_jti`.
    var id: String
    var sub: String
    /// SHA-256 of the refresh token (a 256-bit random value, so the digest cannot be reversed).
    var refreshTokenDigest: String
    /// When the password was checked (the `auth_time` claim).
    var authTime: Date
    var expiresAt: Date
}

/// Everything in `users.json`.
struct IdentityDatabase: Codable, Sendable, Equatable {
    var version = 1
    /// By `sub`.
    var users: [String: UserRecord] = [:]
    /// By session id.
    var sessions: [String: SessionRecord] = [:]

    func user(email: String) -> UserRecord? {
        let email = email.lowercased()
        return users.values.first { $0.email == email }
    }

    func session(refreshToken: String) -> SessionRecord? {
        let digest = SHA256.hash(data: Data(refreshToken.utf8)).hexString
        return sessions.values.first { $0.refreshTokenDigest == digest }
    }

    mutating func removeExpiredSessions(now: Date) {
        sessions = sessions.filter { $0.value.expiresAt > now }
    }
}

extension Sequence<UInt8> {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
