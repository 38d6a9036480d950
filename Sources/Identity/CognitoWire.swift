// The Cognito Identity Provider JSON protocol (AWS JSON 1.1) for the actions the development
// provider serves. Field names are Cognito's (PascalCase); members Cognito accepts but this provider
// ignores (SecretHash, ClientMetadata, AnalyticsMetadata, UserContextData, ...) are decoded away.

/// `{"Name": ..., "Value": ...}`: one user attribute.
public struct AttributeType: Codable, Sendable, Equatable {
    /// The attribute's name: `email`, `name`, `sub`, `email_verified`.
    public var name: String
    /// Its value; booleans are `"true"`/`"false"`, as in Cognito.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case value = "Value"
    }
}

/// Where a code was sent. The destination is masked, e.g. `a***@e***`.
public struct CodeDeliveryDetails: Codable, Sendable, Equatable {
    /// Always `email` here.
    public var attributeName: String
    /// Always `EMAIL` here.
    public var deliveryMedium: String
    /// The masked address.
    public var destination: String

    enum CodingKeys: String, CodingKey {
        case attributeName = "AttributeName"
        case deliveryMedium = "DeliveryMedium"
        case destination = "Destination"
    }
}

/// `SignUp`: a new, unconfirmed user.
struct SignUpRequest: Decodable {
    /// The app client (required).
    var clientId: String?
    /// The email address: this pool signs in with email (required).
    var username: String?
    /// The user's own password, checked against the policy (required).
    var password: String?
    /// `name` and `email` are required; `email` must equal the username.
    var userAttributes: [AttributeType]?

    enum CodingKeys: String, CodingKey {
        case clientId = "ClientId"
        case username = "Username"
        case password = "Password"
        case userAttributes = "UserAttributes"
    }
}

struct SignUpResponse: Encodable {
    /// `false`: sign-ups are confirmed by code or by an operator (R-AUTH-7); `true` only with the
    /// development-only `autoConfirmSignUp`.
    var userConfirmed: Bool
    /// The new user's `sub`.
    var userSub: String
    /// Where the confirmation code went; absent when none was sent (auto-confirmed), as Cognito does.
    var codeDeliveryDetails: CodeDeliveryDetails?

    enum CodingKeys: String, CodingKey {
        case userConfirmed = "UserConfirmed"
        case userSub = "UserSub"
        case codeDeliveryDetails = "CodeDeliveryDetails"
    }
}

/// `ConfirmSignUp`, `ResendConfirmationCode`, `ForgotPassword`, `ConfirmForgotPassword`: a user
/// named by email, with a code and a new password where the action needs them.
struct UserCodeRequest: Decodable {
    /// The app client (required).
    var clientId: String?
    /// The email address (required).
    var username: String?
    /// The 6-digit code (`ConfirmSignUp`, `ConfirmForgotPassword`).
    var confirmationCode: String?
    /// The new password (`ConfirmForgotPassword`).
    var password: String?

    enum CodingKeys: String, CodingKey {
        case clientId = "ClientId"
        case username = "Username"
        case confirmationCode = "ConfirmationCode"
        case password = "Password"
    }
}

/// `ResendConfirmationCode` and `ForgotPassword` answer with where the code went.
struct CodeDeliveryResponse: Encodable {
    var codeDeliveryDetails: CodeDeliveryDetails

    enum CodingKeys: String, CodingKey {
        case codeDeliveryDetails = "CodeDeliveryDetails"
    }
}

/// `InitiateAuth`.
struct InitiateAuthRequest: Decodable {
    /// `USER_PASSWORD_AUTH` or `REFRESH_TOKEN_AUTH` (alias `REFRESH_TOKEN`); others are not enabled.
    var authFlow: String?
    /// The app client (required).
    var clientId: String?
    /// `USERNAME` and `PASSWORD`, or `REFRESH_TOKEN`.
    var authParameters: [String: String]?

    enum CodingKeys: String, CodingKey {
        case authFlow = "AuthFlow"
        case clientId = "ClientId"
        case authParameters = "AuthParameters"
    }
}

struct InitiateAuthResponse: Encodable {
    /// The tokens.
    var authenticationResult: AuthenticationResult
    /// Always empty: no challenges in a single-factor pool (R-AUTH-3).
    var challengeParameters: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case authenticationResult = "AuthenticationResult"
        case challengeParameters = "ChallengeParameters"
    }
}

/// Tokens from a successful `InitiateAuth`.
struct AuthenticationResult: Encodable {
    /// JWT with `token_use: access`, for `GetUser` and `GlobalSignOut`.
    var accessToken: String
    /// JWT with `token_use: id`: what the client sends to the API (R-AUTH-6).
    var idToken: String
    /// Opaque; only after a password sign-in, not on refresh.
    var refreshToken: String?
    /// Seconds the access and ID tokens live.
    var expiresIn: Int
    /// Always `Bearer`.
    var tokenType = "Bearer"

    enum CodingKeys: String, CodingKey {
        case accessToken = "AccessToken"
        case idToken = "IdToken"
        case refreshToken = "RefreshToken"
        case expiresIn = "ExpiresIn"
        case tokenType = "TokenType"
    }
}

/// `GetUser` and `GlobalSignOut`: the caller's access token.
struct AccessTokenRequest: Decodable {
    /// A valid access token (required).
    var accessToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "AccessToken"
    }
}

struct GetUserResponse: Encodable {
    /// Cognito's username. In a pool that signs in with email this is the `sub`, not the email.
    var username: String
    /// `sub`, `email`, `email_verified`, `name`.
    var userAttributes: [AttributeType]
    /// Always empty: no MFA (R-AUTH-3).
    var userMFASettingList: [String] = []

    enum CodingKeys: String, CodingKey {
        case username = "Username"
        case userAttributes = "UserAttributes"
        case userMFASettingList = "UserMFASettingList"
    }
}

/// `{}`: the answer of actions that return nothing.
struct EmptyResponse: Encodable {}
