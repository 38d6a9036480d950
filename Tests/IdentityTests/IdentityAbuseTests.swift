import Foundation
import Testing

@testable import Identity

/// Issue 19, MEDIUM 3: the development identity provider under attack. Each test names what it
/// would see without the protection.
@Suite struct IdentityAbuseTests {
    /// A confirmed user whose address is verified (confirmed with the emailed code), so that
    /// ForgotPassword sends codes.
    func verifiedUser(_ cognito: CognitoClient, _ fixture: IdentityFixture, _ email: String) async throws {
        try await cognito.signUp(email)
        try await cognito.confirm(email, code: try #require(fixture.log.code(for: email)))
    }

    func confirmReset(_ cognito: CognitoClient, _ email: String, code: String) async throws -> CognitoClient.Reply {
        try await cognito.call(
            "ConfirmForgotPassword",
            [
                "ClientId": cognito.clientId, "Username": email, "ConfirmationCode": code,
                "Password": "Brand-New-Horse-7",
            ])
    }

    /// Without the per-account count (ForgotPassword reset the code and its attempts), the third
    /// code would be accepted after ten wrong guesses, and asking again and again gave unlimited ones.
    @Test func newCodesDoNotBuyMoreGuesses() async throws {
        let fixture = IdentityFixture()
        try await fixture.test { cognito in
            let email = "kadek@example.com"
            try await verifiedUser(cognito, fixture, email)
            for _ in 0..<2 {
                try await cognito.call("ForgotPassword", ["ClientId": cognito.clientId, "Username": email])
                let good = try #require(fixture.log.code(for: email, purpose: "password reset"))
                let bad = good == "000000" ? "111111" : "000000"
                for _ in 0..<5 { _ = try await confirmReset(cognito, email, code: bad) }
            }
            try await cognito.call("ForgotPassword", ["ClientId": cognito.clientId, "Username": email])
            let right = try #require(fixture.log.code(for: email, purpose: "password reset"))
            #expect(try await confirmReset(cognito, email, code: right).errorType == "LimitExceededException")
            fixture.clock.advance(by: 61)
            #expect(try await confirmReset(cognito, email, code: right).status == .ok)
        }
    }

    /// Without counting before the bcrypt wait, all 15 concurrent guesses were compared.
    @Test func concurrentWrongPasswordsAreCountedBeforeTheWait() async throws {
        let fixture = IdentityFixture()
        try await fixture.test { cognito in
            let email = "luh@example.com"
            try await verifiedUser(cognito, fixture, email)
            let messages = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<15 { group.addTask { try await cognito.signIn(email, password: "Wrong-Horse-9").message } }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(messages.filter { $0 == "Incorrect username or password." }.count <= 5)
            #expect(messages.filter { $0 == "Password attempts exceeded" }.count >= 10)
        }
    }

    /// Without a count for unknown addresses, only real accounts answered "Password attempts exceeded".
    @Test func unknownAddressesAreLockedOutTheSameWay() async throws {
        let fixture = IdentityFixture()
        try await fixture.test { cognito in
            for _ in 0..<5 { _ = try await cognito.signIn("nobody@example.com", password: "Wrong-Horse-9") }
            #expect(try await cognito.signIn("nobody@example.com").message == "Password attempts exceeded")
            // A confirmed account asking for a confirmation code looks like an unknown one.
            try await verifiedUser(cognito, fixture, "made@example.com")
            let resend = try await cognito.call(
                "ResendConfirmationCode", ["ClientId": cognito.clientId, "Username": "made@example.com"])
            #expect(resend.status == .ok)
        }
    }

    /// Without checking the code first, each wrong guess cost a bcrypt hash (here of cost 14, which
    /// no other test uses), with or without an account: three guesses made three hashes. Counted,
    /// not timed: the unit tests run in parallel on a busy machine.
    @Test func aWrongResetCodeCostsNoHash() async throws {
        var fixture = IdentityFixture()
        fixture.settings.bcryptCost = 14
        try await fixture.test { cognito in
            let before = PasswordHasher.hashesMade(cost: 14)
            for email in ["nobody@example.com", "nobody2@example.com", "nobody3@example.com"] {
                let reply = try await confirmReset(cognito, email, code: "123456")
                #expect(reply.errorType == "CodeMismatchException")
            }
            #expect(PasswordHasher.hashesMade(cost: 14) == before)
        }
    }

    /// Without the per-account limit, any number of code emails could be asked for one address.
    @Test func oneAddressIsRateLimited() async throws {
        let fixture = IdentityFixture()
        try await fixture.test { cognito in
            var types: [String?] = []
            for _ in 0..<25 {
                types.append(
                    try await cognito.call(
                        "ForgotPassword", ["ClientId": cognito.clientId, "Username": "x@example.com"]
                    )
                    .errorType)
            }
            #expect(types.prefix(20).allSatisfy { $0 == nil })
            #expect(types.suffix(3).allSatisfy { $0 == "TooManyRequestsException" })
            let other = try await cognito.call(
                "ForgotPassword", ["ClientId": cognito.clientId, "Username": "y@example.com"])
            #expect(other.status == .ok)
        }
    }

    /// Without revoking sessions on reset, whoever knew the old password kept its refresh token.
    @Test func aPasswordResetRevokesRefreshTokens() async throws {
        let fixture = IdentityFixture()
        try await fixture.test { cognito in
            let email = "nyoman@example.com"
            try await verifiedUser(cognito, fixture, email)
            let refreshToken = try #require(
                try await cognito.signIn(email).authenticationResult["RefreshToken"] as? String)
            try await cognito.call("ForgotPassword", ["ClientId": cognito.clientId, "Username": email])
            let code = try #require(fixture.log.code(for: email, purpose: "password reset"))
            #expect(try await confirmReset(cognito, email, code: code).status == .ok)
            let refreshed = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": cognito.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": ["REFRESH_TOKEN": refreshToken],
                ])
            #expect(refreshed.errorType == "NotAuthorizedException")
        }
    }
}
