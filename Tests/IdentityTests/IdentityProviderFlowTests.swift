import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Testing
import TokenVerification

/// The development identity provider's whole Cognito flow through its routes (R-AUTH-1..7).
@Suite struct IdentityProviderFlowTests {
    @Test func signUpConfirmSignInRefreshGetUserSignOut() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        let settings = fixture.settings
        try await fixture.test { cognito in
            let email = "ana@example.com"
            // R-AUTH-2, R-AUTH-4: the user sets their own password; name and email are required.
            let signUp = try await cognito.signUp(email)
            #expect(signUp.status == .ok)
            #expect(signUp.headers[.contentType] == "application/x-amz-json-1.1")
            #expect(signUp.body["UserConfirmed"] as? Bool == false)
            let sub = try #require(signUp.body["UserSub"] as? String)
            let delivery = signUp.body["CodeDeliveryDetails"] as? [String: String]
            #expect(delivery == ["AttributeName": "email", "DeliveryMedium": "EMAIL", "Destination": "a***@e***"])

            // R-AUTH-7: not confirmed yet, so sign-in fails even with the right password.
            let early = try await cognito.signIn(email)
            #expect(early.status == .badRequest)
            #expect(early.errorType == "UserNotConfirmedException")
            #expect(early.headers[HTTPFields.Element.Name("x-amzn-ErrorType")!] == "UserNotConfirmedException")

            // The code went to the log; never the password.
            let code = try #require(fixture.log.code(for: email))
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            #expect(!fixture.log.all.contains { "\($0.message) \($0.metadata)".contains("Correct-Horse-9") })
            #expect(try await cognito.confirm(email, code: code).status == .ok)

            // R-AUTH-1, R-AUTH-5: email and password sign in; tokens shaped like Cognito's.
            let signIn = try await cognito.signIn("Ana@Example.com")
            #expect(signIn.status == .ok)
            let result = signIn.authenticationResult
            #expect(result["TokenType"] as? String == "Bearer")
            #expect(result["ExpiresIn"] as? Int == 3600)
            let idToken = try #require(result["IdToken"] as? String)
            let accessToken = try #require(result["AccessToken"] as? String)
            let refreshToken = try #require(result["RefreshToken"] as? String)
            let idClaims = unverifiedClaims(idToken)
            #expect(idClaims["sub"] as? String == sub)
            #expect(idClaims["email"] as? String == email)
            #expect(idClaims["email_verified"] as? Bool == true)
            #expect(idClaims["name"] as? String == "Ana Learner")
            #expect(idClaims["token_use"] as? String == "id")
            #expect(idClaims["aud"] as? String == settings.clientId)
            #expect(idClaims["iss"] as? String == "http://127.0.0.1:8080/idp/us-east-1_CakapDev1")
            #expect(idClaims["cognito:username"] as? String == sub)
            #expect((idClaims["exp"] as? Int ?? 0) - (idClaims["iat"] as? Int ?? 0) == 3600)
            let accessClaims = unverifiedClaims(accessToken)
            #expect(accessClaims["token_use"] as? String == "access")
            #expect(accessClaims["client_id"] as? String == settings.clientId)
            #expect(accessClaims["scope"] as? String == "aws.cognito.signin.user.admin")
            #expect(accessClaims["username"] as? String == sub)
            #expect(accessClaims["jti"] is String)

            // R-AUTH-6: the ID token passes the authorizer, checked against the JWKS the routes serve.
            let keySet = try await cognito.jwks(poolId: settings.poolId)
            let key = try #require(
                (try JSONSerialization.jsonObject(with: keySet) as? [String: [[String: String]]])?["keys"]?.first)
            #expect(key["alg"] == "RS256" && key["use"] == "sig" && key["kty"] == "RSA" && key["kid"] != nil)
            #expect(key["d"] == nil && key["p"] == nil)
            let verifier = TokenVerifier(
                issuer: settings.issuer, audience: settings.clientId, keySource: StaticKeySetSource(keySet))
            let identity = try await verifier.verify(authorizationHeader: "Bearer \(idToken)")
            #expect(identity.sub == sub && identity.email == email && identity.name == "Ana Learner")
            #expect(try await verifier.verify(authorizationHeader: idToken).sub == sub)

            // Refresh: new ID and access tokens, no new refresh token.
            let refreshed = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": settings.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": ["REFRESH_TOKEN": refreshToken],
                ])
            #expect(refreshed.status == .ok)
            #expect(refreshed.authenticationResult["RefreshToken"] == nil)
            let refreshedID = try #require(refreshed.authenticationResult["IdToken"] as? String)
            #expect(try await verifier.verify(authorizationHeader: refreshedID).sub == sub)

            let user = try await cognito.call("GetUser", ["AccessToken": accessToken])
            #expect(user.status == .ok)
            #expect(user.body["Username"] as? String == sub)
            let attributes = (user.body["UserAttributes"] as? [[String: String]] ?? []).reduce(into: [:]) {
                $0[$1["Name"] ?? ""] = $1["Value"]
            }
            #expect(attributes == ["sub": sub, "email": email, "name": "Ana Learner", "email_verified": "true"])

            // GlobalSignOut revokes the refresh token and the access tokens issued with it.
            #expect(try await cognito.call("GlobalSignOut", ["AccessToken": accessToken]).status == .ok)
            let revoked = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": settings.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": ["REFRESH_TOKEN": refreshToken],
                ])
            #expect(revoked.errorType == "NotAuthorizedException")
            let afterSignOut = try await cognito.call("GetUser", ["AccessToken": accessToken])
            #expect(afterSignOut.errorType == "NotAuthorizedException")
            #expect(afterSignOut.message == "Access Token has been revoked")
            // A fresh sign-in works again.
            #expect(try await cognito.signIn(email).status == .ok)
        }
    }

    @Test func idTokensVerifyAgainstTheJWKSFetchedOverHTTP() async throws {
        // The edge's path: the verifier fetches the served JWKS with AsyncHTTPClient.
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        let provider = try fixture.makeProvider()
        let router = Router()
        provider.addRoutes(to: router.group("idp"))
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(
            .live
        ) {
            client in
            let cognito = CognitoClient(client: client, clientId: fixture.settings.clientId)
            let email = "oka@example.com"
            try await cognito.signUp(email)
            try await provider.confirmUser(email: email)
            let idToken = try #require(try await cognito.signIn(email).authenticationResult["IdToken"] as? String)
            let port = try #require(client.port)
            let verifier = TokenVerifier(
                jwksURL: "http://127.0.0.1:\(port)/idp/\(fixture.settings.poolId)/.well-known/jwks.json",
                issuer: fixture.settings.issuer, audience: fixture.settings.clientId)
            #expect(try await verifier.verify(authorizationHeader: "Bearer \(idToken)").email == email)
        }
    }

    @Test func forgotPasswordResetsWithTheLoggedCode() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let email = "budi@example.com"
            try await cognito.signUp(email)
            try await cognito.confirm(email, code: try #require(fixture.log.code(for: email)))

            let forgot = try await cognito.call("ForgotPassword", ["ClientId": cognito.clientId, "Username": email])
            #expect(forgot.status == .ok)
            #expect((forgot.body["CodeDeliveryDetails"] as? [String: String])?["DeliveryMedium"] == "EMAIL")
            let code = try #require(fixture.log.code(for: email, purpose: "password reset"))

            let weak = try await cognito.call(
                "ConfirmForgotPassword",
                ["ClientId": cognito.clientId, "Username": email, "ConfirmationCode": code, "Password": "short"])
            #expect(weak.errorType == "InvalidPasswordException")
            let wrongCode = code == "000000" ? "111111" : "000000"
            let mismatch = try await cognito.call(
                "ConfirmForgotPassword",
                [
                    "ClientId": cognito.clientId, "Username": email, "ConfirmationCode": wrongCode,
                    "Password": "New-Secret-42",
                ])
            #expect(mismatch.errorType == "CodeMismatchException")
            let reset = try await cognito.call(
                "ConfirmForgotPassword",
                [
                    "ClientId": cognito.clientId, "Username": email, "ConfirmationCode": code,
                    "Password": "New-Secret-42",
                ])
            #expect(reset.status == .ok)

            #expect(try await cognito.signIn(email).errorType == "NotAuthorizedException")
            #expect(try await cognito.signIn(email, password: "New-Secret-42").status == .ok)
            // The code is used up.
            let reused = try await cognito.call(
                "ConfirmForgotPassword",
                [
                    "ClientId": cognito.clientId, "Username": email, "ConfirmationCode": code,
                    "Password": "Other-Secret-42",
                ])
            #expect(reused.errorType == "ExpiredCodeException")
        }
    }

    @Test func operatorConfirmationLetsTheUserSignIn() async throws {
        // R-AUTH-7: `cakap users confirm EMAIL` calls this.
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        let provider = try fixture.makeProvider()
        try await fixture.test(provider: provider) { cognito in
            try await cognito.signUp("citra@example.com")
            try await provider.confirmUser(email: "Citra@example.com")
            #expect(try await cognito.signIn("citra@example.com").status == .ok)
            let users = try await provider.listUsers()
            #expect(users.map(\.email) == ["citra@example.com"])
            #expect(users.first?.status == "CONFIRMED")
            // As with AdminConfirmSignUp, the address is not verified by an operator.
            #expect(users.first?.emailVerified == false)
        }
        await #expect(throws: CognitoError.self) { try await provider.confirmUser(email: "nobody@example.com") }
    }

    @Test func resendGivesANewCode() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let email = "dewi@example.com"
            try await cognito.signUp(email)
            let first = try #require(fixture.log.code(for: email))
            let resend = try await cognito.call(
                "ResendConfirmationCode", ["ClientId": cognito.clientId, "Username": email])
            #expect(resend.status == .ok)
            let second = try #require(fixture.log.code(for: email))
            if first != second {
                #expect(try await cognito.confirm(email, code: first).errorType == "CodeMismatchException")
            }
            #expect(try await cognito.confirm(email, code: second).status == .ok)
            // A confirmed account looks like an unknown one (issue 19: no enumeration): the same
            // answer, and no code is sent.
            let again = try await cognito.call(
                "ResendConfirmationCode", ["ClientId": cognito.clientId, "Username": email])
            #expect(again.status == .ok)
            #expect(fixture.log.code(for: email) == second)
        }
    }
}
