import Foundation
import Hummingbird

/// An error of the development identity provider, answered exactly as Cognito does: HTTP 400 (500
/// for `InternalErrorException`), header `x-amzn-ErrorType`, body `{"__type": "<code>", "message":
/// "..."}`, which is what the AWS SDKs and Amplify parse.
///
/// The token verifier (module `TokenVerification`) has its own error type, `AuthorizationError`,
/// because API Gateway's authorizer answers a different client with a different body; each type
/// speaks one wire protocol.
public struct CognitoError: Error, HTTPResponseError, CustomStringConvertible, Sendable, Equatable {
    /// Cognito's exception name (the `__type`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The name as sent, e.g. `UsernameExistsException`.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let usernameExists = Code("UsernameExistsException")
        public static let notAuthorized = Code("NotAuthorizedException")
        public static let userNotConfirmed = Code("UserNotConfirmedException")
        public static let userNotFound = Code("UserNotFoundException")
        public static let codeMismatch = Code("CodeMismatchException")
        public static let expiredCode = Code("ExpiredCodeException")
        public static let invalidPassword = Code("InvalidPasswordException")
        public static let invalidParameter = Code("InvalidParameterException")
        public static let resourceNotFound = Code("ResourceNotFoundException")
        public static let limitExceeded = Code("LimitExceededException")
        public static let tooManyRequests = Code("TooManyRequestsException")
        public static let unknownOperation = Code("UnknownOperationException")
        public static let serialization = Code("SerializationException")
        public static let internalError = Code("InternalErrorException")
    }

    /// Which exception.
    public let code: Code
    /// The message sent to the client.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public var status: HTTPResponse.Status { code == .internalError ? .internalServerError : .badRequest }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    func makeResponse() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = CognitoMedia.contentType
        headers[CognitoMedia.errorType] = code.rawValue
        headers[CognitoMedia.requestID] = UUID().uuidString.lowercased()
        let body = (try? JSONEncoder().encode(ErrorBody(type: code.rawValue, message: message))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct ErrorBody: Encodable {
        var type: String
        var message: String
        enum CodingKeys: String, CodingKey {
            case type = "__type"
            case message
        }
    }
}

extension CognitoError {
    /// Wrong password, unknown user (when existence errors are prevented), bad or revoked token.
    static let incorrectCredentials = CognitoError(.notAuthorized, "Incorrect username or password.")
    static let userNotConfirmed = CognitoError(.userNotConfirmed, "User is not confirmed.")
    static let userNotFound = CognitoError(.userNotFound, "User does not exist.")
    static let usernameExists = CognitoError(.usernameExists, "An account with the given email already exists.")
    static let codeMismatch = CognitoError(.codeMismatch, "Invalid verification code provided, please try again.")
    static let expiredCode = CognitoError(.expiredCode, "Invalid code provided, please request a code again.")
    static let attemptsExceeded = CognitoError(.limitExceeded, "Attempt limit exceeded, please try after some time.")
    static let passwordAttemptsExceeded = CognitoError(.notAuthorized, "Password attempts exceeded")
    static let tooManyRequests = CognitoError(.tooManyRequests, "Too many requests")

    static func invalidPassword(_ reason: String) -> Self {
        .init(.invalidPassword, "Password did not conform with policy: \(reason)")
    }
    static func invalidParameter(_ message: String) -> Self { .init(.invalidParameter, message) }
    /// AWS's wording for a missing required member.
    static func missing(_ member: String) -> Self {
        .init(
            .invalidParameter,
            "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: Member must not be null"
        )
    }
}

/// The AWS JSON 1.1 protocol's names.
enum CognitoMedia {
    static let contentType = "application/x-amz-json-1.1"
    static let targetPrefix = "AWSCognitoIdentityProviderService."
    static let target = HeaderName("X-Amz-Target")!
    static let errorType = HeaderName("x-amzn-ErrorType")!
    static let requestID = HeaderName("x-amzn-RequestId")!
    /// `HTTPField.Name`, reached through Hummingbird's re-exported `HTTPFields`.
    typealias HeaderName = HTTPFields.Element.Name
}
