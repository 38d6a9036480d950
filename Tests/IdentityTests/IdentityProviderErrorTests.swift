import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Testing

/// Cognito's errors, as the SDKs expect them: 400, `__type`, `message`, `x-amzn-ErrorType`.
@Suite struct IdentityProviderErrorTests {
    @Test func passwordPolicyViolationsAreInvalidPassword() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let cases = [
                ("Sh0rt!", "Password did not conform with policy: Password not long enough"),
                ("lowercase-only-9", "Password did not conform with policy: Password must have uppercase characters"),
                ("UPPERCASE-ONLY-9", "Password did not conform with policy: Password must have lowercase characters"),
                ("No-Digits-Here", "Password did not conform with policy: Password must have numeric characters"),
                ("NoSymbols123", "Password did not conform with policy: Password must have symbol characters"),
            ]
            for (index, (password, message)) in cases.enumerated() {
                let reply = try await cognito.signUp("user\(index)@example.com", password: password)
                #expect(reply.status == .badRequest, "\(password)")
                #expect(reply.errorType == "InvalidPasswordException", "\(password)")
                #expect(reply.message == message, "\(password)")
            }
            #expect(
                try await cognito.signUp("spaces@example.com", password: " Leading-9a").errorType
                    == "InvalidParameterException")
            #expect(try await cognito.signUp("ok@example.com", password: "Fine-Pass-1").status == .ok)
        }
    }

    @Test func policyIsConfigurable() async throws {
        var fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        fixture.settings.passwordPolicy = PasswordPolicy(
            minimumLength: 12, requireUppercase: false, requireLowercase: true, requireNumbers: false,
            requireSymbols: false)
        try await fixture.test { cognito async throws in
            #expect(
                try await cognito.signUp("a@example.com", password: "Sh0rt-Pass!").errorType
                    == "InvalidPasswordException")
            #expect(try await cognito.signUp("b@example.com", password: "plainlowercase").status == .ok)
        }
    }

    @Test func duplicateSignUpIsUsernameExists() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            #expect(try await cognito.signUp("eka@example.com").status == .ok)
            let again = try await cognito.signUp("EKA@example.com")
            #expect(again.errorType == "UsernameExistsException")
            #expect(again.message == "An account with the given email already exists.")
        }
    }

    @Test func requiredAttributesAndEmailUsername() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let noName = try await cognito.call(
                "SignUp",
                [
                    "ClientId": cognito.clientId, "Username": "f@example.com", "Password": "Correct-Horse-9",
                    "UserAttributes": [["Name": "email", "Value": "f@example.com"]],
                ])
            #expect(noName.errorType == "InvalidParameterException")
            #expect(noName.message == "Attributes did not conform to the schema: name: The attribute is required")
            let noEmail = try await cognito.call(
                "SignUp",
                [
                    "ClientId": cognito.clientId, "Username": "f@example.com", "Password": "Correct-Horse-9",
                    "UserAttributes": [["Name": "name", "Value": "F"]],
                ])
            #expect(noEmail.message == "Attributes did not conform to the schema: email: The attribute is required")
            #expect(try await cognito.signUp("not-an-email").message == "Username should be an email.")
            let noPassword = try await cognito.call(
                "SignUp", ["ClientId": cognito.clientId, "Username": "g@example.com"])
            #expect(noPassword.errorType == "InvalidParameterException")
        }
    }

    @Test func wrongPasswordAndUnknownUserLookTheSame() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            try await cognito.signUp("gita@example.com")
            let wrong = try await cognito.signIn("gita@example.com", password: "Wrong-Horse-9")
            #expect(wrong.errorType == "NotAuthorizedException")
            #expect(wrong.message == "Incorrect username or password.")
            let unknown = try await cognito.signIn("nobody@example.com")
            #expect(unknown.errorType == wrong.errorType && unknown.message == wrong.message)
            // Pretends to deliver, so the answer does not reveal who has an account.
            let forgot = try await cognito.call(
                "ForgotPassword", ["ClientId": cognito.clientId, "Username": "nobody@example.com"])
            #expect(forgot.status == .ok)
        }
    }

    @Test func repeatedWrongPasswordsLockSignInForAWhile() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let email = "hadi@example.com"
            try await cognito.signUp(email)
            try await cognito.confirm(email, code: try #require(fixture.log.code(for: email)))
            for _ in 0..<5 { _ = try await cognito.signIn(email, password: "Wrong-Horse-9") }
            let locked = try await cognito.signIn(email)
            #expect(locked.message == "Password attempts exceeded")
            fixture.clock.advance(by: 2)
            #expect(try await cognito.signIn(email).status == .ok)
        }
    }

    @Test func codesExpireAndAreLimited() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            try await cognito.signUp("indah@example.com")
            let code = try #require(fixture.log.code(for: "indah@example.com"))
            fixture.clock.advance(by: 24 * 3600 + 1)
            #expect(try await cognito.confirm("indah@example.com", code: code).errorType == "ExpiredCodeException")

            try await cognito.signUp("joko@example.com")
            let good = try #require(fixture.log.code(for: "joko@example.com"))
            let bad = good == "000000" ? "111111" : "000000"
            for _ in 0..<4 {
                #expect(try await cognito.confirm("joko@example.com", code: bad).errorType == "CodeMismatchException")
            }
            #expect(try await cognito.confirm("joko@example.com", code: bad).errorType == "LimitExceededException")
            // The code was discarded; even the right one no longer works.
            #expect(try await cognito.confirm("joko@example.com", code: good).errorType == "ExpiredCodeException")
        }
    }

    @Test func protocolErrors() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            let wrongClient = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": "nope", "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": ["USERNAME": "a", "PASSWORD": "b"],
                ])
            #expect(wrongClient.errorType == "ResourceNotFoundException")
            #expect(wrongClient.message == "User pool client nope does not exist.")
            let srp = try await cognito.call(
                "InitiateAuth", ["ClientId": cognito.clientId, "AuthFlow": "USER_SRP_AUTH"])
            #expect(srp.errorType == "InvalidParameterException")
            #expect(try await cognito.call("AdminDeleteUser", [:]).errorType == "UnknownOperationException")
            let mistyped = try await cognito.call("SignUp", ["ClientId": 5])
            #expect(mistyped.errorType == "SerializationException")
            let badToken = try await cognito.call("GetUser", ["AccessToken": "not.a.token"])
            #expect(badToken.errorType == "NotAuthorizedException")
            #expect(badToken.message == "Invalid Access Token")
            let badRefresh = try await cognito.call(
                "InitiateAuth",
                [
                    "ClientId": cognito.clientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": ["REFRESH_TOKEN": "x"],
                ])
            #expect(badRefresh.message == "Invalid Refresh Token")
            // The SDKs post to the endpoint URL with or without a trailing slash.
            var headers = HTTPFields()
            headers[HTTPFields.Element.Name("X-Amz-Target")!] = "AWSCognitoIdentityProviderService.GetUser"
            try await cognito.client.execute(
                uri: "/idp", method: .post, headers: headers, body: ByteBuffer(string: #"{"AccessToken":"x"}"#)
            ) {
                #expect(
                    $0.status == .badRequest
                        && $0.headers[HTTPFields.Element.Name("x-amzn-ErrorType")!] == "NotAuthorizedException")
            }
        }
    }

    @Test func jwksIsOnlyServedForThePool() async throws {
        let fixture = IdentityFixture()
        defer { fixture.removeDirectory() }
        try await fixture.test { cognito in
            try await cognito.client.execute(uri: "/idp/us-east-1_Other/.well-known/jwks.json", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }
}
