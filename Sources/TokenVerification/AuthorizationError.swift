import Foundation
import HTTPTypes
import Hummingbird

/// Why a request did not pass the authorizer, answered the way API Gateway's Cognito authorizer
/// (`COGNITO_USER_POOLS`) answers by default, with body `{"message": "..."}` and header
/// `x-amzn-ErrorType`:
///
/// - no token (header missing or empty): 401 `{"message":"Unauthorized"}` — gateway response
///   `UNAUTHORIZED`; API Gateway answers without running the authorizer when the identity source
///   is missing or empty (CreateAuthorizer's `identitySource` documentation);
/// - a token that does not verify (garbage, wrong signature, key, algorithm, issuer, audience, or an
///   access token where an ID token is required): 401 `{"message":"Unauthorized"}` (AWS knowledge
///   center "api-gateway-cognito-401-unauthorized": expiry, issuer and token type all surface as
///   401 Unauthorized);
/// - an expired token: 401 `{"message":"The incoming token has expired"}`, the message clients see
///   from Cognito-authorized APIs (aws-amplify/amplify-js issues 5934 and 6060);
/// - access denied after a valid token (for example a path naming another user): 403
///   `{"message":"User is not authorized to access this resource"}` — gateway response
///   `ACCESS_DENIED`, default status 403 ("Gateway response types for API Gateway");
/// - the key set cannot be fetched: 500 `{"message":"Internal server error"}` (gateway response
///   `AUTHORIZER_CONFIGURATION_ERROR`, default status 500).
///
/// ``reason`` says which check failed; it is for logs and tests and is never sent.
public struct AuthorizationError: Error, HTTPResponseError, CustomStringConvertible, Sendable, Equatable {
    /// Which check failed.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        public static let missingToken = Reason("no token in the Authorization header")
        public static let malformedToken = Reason("not a compact JWS")
        public static let unsupportedAlgorithm = Reason("alg is not RS256")
        public static let missingKeyID = Reason("no kid in the header")
        public static let unknownKeyID = Reason("kid is not in the key set")
        public static let invalidSignature = Reason("signature does not verify")
        public static let wrongIssuer = Reason("iss is not the pool's issuer")
        public static let wrongAudience = Reason("aud is not the app client")
        public static let wrongTokenUse = Reason("token_use is not id")
        public static let missingClaim = Reason("a required claim is missing")
        public static let expired = Reason("exp has passed")
        public static let notYetValid = Reason("nbf or iat is in the future")
        public static let revoked = Reason("the session was signed out")
        public static let forbidden = Reason("access denied")
        public static let keySetUnavailable = Reason("the key set could not be fetched")
    }

    public let reason: Reason
    public let status: HTTPResponse.Status
    /// The message sent to the client.
    public let message: String

    /// The rejection for `reason`, with API Gateway's status and message for it.
    public init(_ reason: Reason) {
        self.reason = reason
        switch reason {
        case .expired:
            (status, message) = (.unauthorized, "The incoming token has expired")
        case .forbidden:
            (status, message) = (.forbidden, "User is not authorized to access this resource")
        case .keySetUnavailable:
            (status, message) = (.internalServerError, "Internal server error")
        default:
            (status, message) = (.unauthorized, "Unauthorized")
        }
    }

    /// 403 for a caller whose valid token does not grant this request (gateway response `ACCESS_DENIED`).
    public static let forbidden = AuthorizationError(.forbidden)

    public var description: String { "\(status.code) \(message) (\(reason))" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("x-amzn-ErrorType")!] =
            switch status {
            case .forbidden: "AccessDeniedException"
            case .unauthorized: "UnauthorizedException"
            default: "AuthorizerConfigurationException"
            }
        let body = (try? JSONEncoder().encode(["message": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
