import Foundation

/// Sign-up, confirmation and password reset: the actions that send codes.
extension DevelopmentIdentityProvider {
    func signUp(_ request: SignUpRequest) async throws -> SignUpResponse {
        try checkClient(request.clientId)
        let email = try requiredEmail(request.username)
        guard let password = request.password else { throw CognitoError.missing("password") }
        let name = try signUpName(request.userAttributes ?? [], email: email)
        try checkNewPassword(password)
        try refresh()
        guard database.user(email: email) == nil else { throw CognitoError.usernameExists }

        let passwordHash = await PasswordHasher.hash(password, cost: settings.bcryptCost)
        let confirmed = settings.autoConfirmSignUp
        let (code, user): (String, UserRecord) = try update { database in
            // Re-checked: another sign-up may have taken the address while we hashed.
            guard database.user(email: email) == nil else { throw CognitoError.usernameExists }
            let sub = UUID().uuidString.lowercased()
            let (code, pending) = PendingCode.make(for: sub, lifetime: settings.confirmationCodeValidity, now: now())
            let user = UserRecord(
                sub: sub, email: email, name: name, passwordHash: passwordHash,
                status: confirmed ? .confirmed : .unconfirmed, emailVerified: confirmed, createdAt: now(),
                updatedAt: now(), confirmationCode: confirmed ? nil : pending, resetCode: nil)
            database.users[sub] = user
            return (code, user)
        }
        if confirmed {
            logger.warning(
                "sign-up confirmed without a code (development --auto-confirm)", metadata: ["sub": "\(user.sub)"])
            return SignUpResponse(userConfirmed: true, userSub: user.sub, codeDeliveryDetails: nil)
        }
        deliver(code, to: email, purpose: "sign-up confirmation", lifetime: settings.confirmationCodeValidity)
        return SignUpResponse(userConfirmed: false, userSub: user.sub, codeDeliveryDetails: .email(email))
    }

    func confirmSignUp(_ request: UserCodeRequest) throws -> EmptyResponse {
        try checkClient(request.clientId)
        let email = try requiredUsername(request.username)
        guard let code = request.confirmationCode else { throw CognitoError.missing("confirmationCode") }
        try checkCodeLockout(email)
        let outcome: Result<Void, CognitoError> = try update { database in
            guard var user = database.user(email: email) else {
                return .failure(settings.preventUserExistenceErrors ? .codeMismatch : .userNotFound)
            }
            guard user.status == .unconfirmed else {
                if settings.preventUserExistenceErrors { return .failure(.codeMismatch) }
                return .failure(CognitoError(.notAuthorized, "User cannot be confirmed. Current status is CONFIRMED"))
            }
            let result = check(code, against: &user.confirmationCode, sub: user.sub)
            if case .success = result {
                user.status = .confirmed
                user.emailVerified = true
                user.updatedAt = now()
            }
            database.users[user.sub] = user
            return result
        }
        try settle(outcome, account: email)
        return EmptyResponse()
    }

    func resendConfirmationCode(_ request: UserCodeRequest) throws -> CodeDeliveryResponse {
        try checkClient(request.clientId)
        let email = try requiredUsername(request.username)
        let code: String? = try update { database in
            guard var user = database.user(email: email) else { return nil }
            guard user.status == .unconfirmed else {
                // Pretends to deliver, as for an unknown address (issue 19: no enumeration).
                if settings.preventUserExistenceErrors { return nil }
                throw CognitoError.invalidParameter("User is already confirmed.")
            }
            let (code, pending) = PendingCode.make(
                for: user.sub, lifetime: settings.confirmationCodeValidity, now: now())
            user.confirmationCode = pending
            database.users[user.sub] = user
            return code
        }
        if let code {
            deliver(code, to: email, purpose: "sign-up confirmation", lifetime: settings.confirmationCodeValidity)
        } else if !settings.preventUserExistenceErrors {
            throw CognitoError.userNotFound
        }
        return CodeDeliveryResponse(codeDeliveryDetails: .email(email))
    }

    func forgotPassword(_ request: UserCodeRequest) throws -> CodeDeliveryResponse {
        try checkClient(request.clientId)
        let email = try requiredUsername(request.username)
        let code: String? = try update { database in
            guard var user = database.user(email: email) else { return nil }
            guard user.emailVerified else {
                if settings.preventUserExistenceErrors { return nil }
                throw CognitoError.invalidParameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number")
            }
            let (code, pending) = PendingCode.make(for: user.sub, lifetime: settings.resetCodeValidity, now: now())
            user.resetCode = pending
            database.users[user.sub] = user
            return code
        }
        if let code {
            deliver(code, to: email, purpose: "password reset", lifetime: settings.resetCodeValidity)
        } else if !settings.preventUserExistenceErrors {
            throw CognitoError.userNotFound
        }
        return CodeDeliveryResponse(codeDeliveryDetails: .email(email))
    }

    func confirmForgotPassword(_ request: UserCodeRequest) async throws -> EmptyResponse {
        try checkClient(request.clientId)
        let email = try requiredUsername(request.username)
        guard let code = request.confirmationCode else { throw CognitoError.missing("confirmationCode") }
        guard let password = request.password else { throw CognitoError.missing("password") }
        try checkNewPassword(password)
        // The code first, the bcrypt hash only after a right one (issue 19: hashing first let
        // anyone spend the server's CPU without an account, and timing told accounts apart).
        try checkCodeLockout(email)
        let outcome: Result<String, CognitoError> = try update { database in
            guard var user = database.user(email: email) else {
                return .failure(settings.preventUserExistenceErrors ? .codeMismatch : .userNotFound)
            }
            let result = check(code, against: &user.resetCode, sub: user.sub)
            database.users[user.sub] = user
            return result.map { user.sub }
        }
        let sub = try settle(outcome, account: email)
        let passwordHash = await PasswordHasher.hash(password, cost: settings.bcryptCost)
        try update { database in
            guard var user = database.users[sub] else { return }
            user.passwordHash = passwordHash
            user.updatedAt = now()
            database.users[sub] = user
            // A reset signs out everywhere: whoever knew the old password loses its refresh tokens.
            database.sessions = database.sessions.filter { $0.value.sub != sub }
        }
        failedSignIns[email] = nil
        return EmptyResponse()
    }

    /// Refuses a code check while the account's wrong codes have it locked out.
    private func checkCodeLockout(_ account: String) throws {
        if Self.isLocked(failedCodeChecks[account], now: now()) { throw CognitoError.attemptsExceeded }
    }

    /// Counts a wrong code against the account (known or not) or clears its count, then returns
    /// the outcome's value or throws its error.
    private func settle<Value>(_ outcome: Result<Value, CognitoError>, account: String) throws -> Value {
        switch outcome {
        case .success: failedCodeChecks[account] = nil
        case .failure(let error) where error.code == .codeMismatch || error.code == .limitExceeded:
            // Two codes' worth of guesses, then a lockout of a minute that doubles up to 15 minutes:
            // about 110 guesses a day against a million codes.
            recordFailure(in: &failedCodeChecks, key: account, allowed: 2 * settings.maximumCodeAttempts, base: 60)
        case .failure: break
        }
        return try outcome.get()
    }

    // MARK: Checks

    func checkClient(_ clientId: String?) throws {
        guard let clientId else { throw CognitoError.missing("clientId") }
        guard clientId == settings.clientId else {
            throw CognitoError(.resourceNotFound, "User pool client \(clientId) does not exist.")
        }
    }

    func requiredUsername(_ username: String?) throws -> String {
        guard let username else { throw CognitoError.missing("username") }
        return username.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The username of a sign-up, which must be an email address in this pool (R-AUTH-1).
    private func requiredEmail(_ username: String?) throws -> String {
        let email = try requiredUsername(username)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else { throw CognitoError.invalidParameter("Username should be an email.") }
        return email
    }

    /// The `name` of a sign-up; `name` and `email` are required (R-AUTH-4) and no other attribute is in the schema.
    private func signUpName(_ attributes: [AttributeType], email: String) throws -> String {
        var values: [String: String] = [:]
        for attribute in attributes {
            guard attribute.name == "name" || attribute.name == "email" else {
                throw CognitoError.invalidParameter(
                    "Attributes did not conform to the schema: Type for attribute {\(attribute.name)} could not be determined"
                )
            }
            values[attribute.name] = attribute.value
        }
        for required in ["name", "email"] where (values[required] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw CognitoError.invalidParameter(
                "Attributes did not conform to the schema: \(required): The attribute is required")
        }
        guard values["email"]?.trimmingCharacters(in: .whitespaces).lowercased() == email else {
            throw CognitoError.invalidParameter("The email attribute must be the username.")
        }
        let name = values["name"]!
        guard name.count <= 2048 else {
            throw CognitoError.invalidParameter(
                "Attributes did not conform to the schema: name: String must be no longer than 2048 characters")
        }
        return name
    }

    /// The password's shape (AWS's member constraint) and the pool's policy.
    func checkNewPassword(_ password: String) throws {
        if password.first?.isWhitespace == true || password.last?.isWhitespace == true {
            throw CognitoError.invalidParameter(
                "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$"
            )
        }
        if let violation = settings.passwordPolicy.violation(of: password) {
            throw CognitoError.invalidPassword(violation)
        }
    }

    /// Checks a code and updates its record: consumed on success, one more failure otherwise, and
    /// discarded after `maximumCodeAttempts` failures.
    private func check(_ code: String, against pending: inout PendingCode?, sub: String) -> Result<Void, CognitoError> {
        guard var current = pending, current.expiresAt > now() else {
            pending = nil
            return .failure(.expiredCode)
        }
        if PendingCode.digest(code.trimmingCharacters(in: .whitespaces), sub: sub) == current.digest {
            pending = nil
            return .success(())
        }
        current.failedAttempts += 1
        if current.failedAttempts >= settings.maximumCodeAttempts {
            pending = nil
            return .failure(.attemptsExceeded)
        }
        pending = current
        return .failure(.codeMismatch)
    }

    /// What a real pool would email. Development only: the code goes to the log.
    private func deliver(_ code: String, to email: String, purpose: String, lifetime: Int) {
        logger.notice(
            "development code for \(email): \(code) (\(purpose); a real pool would email it)",
            metadata: [
                "email": "\(email)", "code": "\(code)", "purpose": "\(purpose)",
                "expires_in_seconds": "\(lifetime)",
            ])
    }
}

extension CodeDeliveryDetails {
    /// Delivery by email to a masked address, as Cognito reports it: `a***@e***`.
    static func email(_ address: String) -> Self {
        let parts = address.split(separator: "@", maxSplits: 1)
        let masked = "\(parts.first?.prefix(1) ?? "")***@\(parts.dropFirst().first?.prefix(1) ?? "")***"
        return CodeDeliveryDetails(attributeName: "email", deliveryMedium: "EMAIL", destination: masked)
    }
}
