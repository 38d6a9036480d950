import Foundation
import HummingbirdTesting
import Identity
import Testing
import TokenVerification

/// Users, sessions and the signing key survive a restart; the files hold no secrets in the clear.
@Suite struct IdentityPersistenceTests {
    @Test func aNewProviderOnTheSameDirectoryKeepsUsersAndKey() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        let email = "kartika@example.com"
        let (idToken, refreshToken, firstKeySet) = try await fixture.test { cognito in
            try await cognito.signUp(email)
            try await cognito.confirm(email, code: try #require(fixture.log.code(for: email)))
            let result = try await cognito.signIn(email).authenticationResult
            return (
                try #require(result["IdToken"] as? String), try #require(result["RefreshToken"] as? String),
                try await cognito.jwks(poolId: fixture.settings.poolId)
            )
        }

        // A restart: a new provider on the same directory.
        try await fixture.test(provider: try fixture.makeProvider()) { cognito in
            #expect(try await cognito.jwks(poolId: fixture.settings.poolId) == firstKeySet)
            let verifier = TokenVerifier(
                issuer: fixture.settings.issuer, audience: fixture.settings.clientId,
                keySource: StaticKeySetSource(firstKeySet))
            #expect(try await verifier.verify(authorizationHeader: idToken).email == email)
            #expect(try await cognito.signIn(email).status == .ok)
            #expect(try await cognito.signUp(email).errorType == "UsernameExistsException")
            let refreshed = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": cognito.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": ["REFRESH_TOKEN": refreshToken],
                ])
            #expect(refreshed.status == .ok)
        }

        let stored = try String(contentsOfFile: fixture.directory + "/users.json", encoding: .utf8)
        #expect(!stored.contains("Correct-Horse-9"))
        #expect(!stored.contains(refreshToken))
        #expect(stored.contains("$2b$10$"))
        for file in ["users.json", "signing-key.pem"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.directory + "/" + file)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
        }
    }

    @Test func anOperatorConfirmationFromAnotherProcessIsSeen() async throws {
        // `cakap users confirm` opens its own provider on the directory while the server runs.
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        let server = try fixture.makeProvider()
        try await fixture.test(provider: server) { cognito in
            try await cognito.signUp("lestari@example.com")
            try await fixture.makeProvider().confirmUser(email: "lestari@example.com")
            #expect(try await cognito.signIn("lestari@example.com").status == .ok)
            // And the server's later writes keep the other process's change.
            try await cognito.signUp("made@example.com")
            let users = try await fixture.makeProvider().listUsers()
            #expect(users.map(\.status) == ["CONFIRMED", "UNCONFIRMED"])
        }
    }
}
