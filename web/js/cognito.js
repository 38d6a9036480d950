// The Cognito user pool's JSON API, called directly (R-AUTH-1..7): POST to the endpoint with
// `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`. The same code reaches real Cognito
// and the edge's development identity provider. Passwords and codes go only in request bodies.
import config from "../config.js";

/** A refused Cognito call: `type` is Cognito's `__type` (e.g. `NotAuthorizedException`). */
export class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

const FRIENDLY = {
  UsernameExistsException: "An account with this email already exists. Sign in, or reset your password.",
  CodeMismatchException: "That code is not right. Check the latest email and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  NotAuthorizedException: "Incorrect email or password.",
  UserNotFoundException: "Incorrect email or password.",
  UserNotConfirmedException: "Please confirm your email address first: enter the code we sent you.",
  LimitExceededException: "Too many attempts. Wait a few minutes and try again.",
  TooManyRequestsException: "Too many attempts. Wait a few minutes and try again.",
  TooManyFailedAttemptsException: "Too many attempts. Wait a few minutes and try again.",
};

async function call(action, body) {
  let response;
  try {
    response = await fetch(config.identityEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new CognitoError("NetworkError", "Cannot reach the sign-in service. Check your connection and try again.");
  }
  const text = await response.text();
  let answer = {};
  try { answer = text ? JSON.parse(text) : {}; } catch { answer = {}; }
  if (!response.ok) {
    const type = String(answer.__type || answer.code || "").split("#").pop() || `HTTP${response.status}`;
    // Cognito's own wording for policy and parameter problems is specific and safe to show.
    const shown = FRIENDLY[type] || answer.message || answer.Message || "The sign-in service could not do that. Try again.";
    throw new CognitoError(type, shown);
  }
  return answer;
}

/** The password rule shown at sign-up (the pool's policy, R-AUTH-2). */
export const PASSWORD_POLICY = "At least 8 characters, with an uppercase letter, a lowercase letter, a number and a symbol.";

/** Whether `password` meets the policy (checked again by the pool). */
export function meetsPolicy(password) {
  return password.length >= 8 && /[a-z]/.test(password) && /[A-Z]/.test(password) && /[0-9]/.test(password)
    && /[^A-Za-z0-9]/.test(password);
}

export const signUp = (name, email, password) => call("SignUp", {
  ClientId: config.clientId, Username: email, Password: password,
  UserAttributes: [{ Name: "email", Value: email }, { Name: "name", Value: name }],
});
export const confirmSignUp = (email, code) =>
  call("ConfirmSignUp", { ClientId: config.clientId, Username: email, ConfirmationCode: code });
export const resendCode = (email) => call("ResendConfirmationCode", { ClientId: config.clientId, Username: email });
export const signIn = (email, password) => call("InitiateAuth", {
  ClientId: config.clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: email, PASSWORD: password },
});
export const refresh = (refreshToken) => call("InitiateAuth", {
  ClientId: config.clientId, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: refreshToken },
});
export const forgotPassword = (email) => call("ForgotPassword", { ClientId: config.clientId, Username: email });
export const confirmForgotPassword = (email, code, password) => call("ConfirmForgotPassword", {
  ClientId: config.clientId, Username: email, ConfirmationCode: code, Password: password,
});
export const globalSignOut = (accessToken) => call("GlobalSignOut", { AccessToken: accessToken });
export const getUser = (accessToken) => call("GetUser", { AccessToken: accessToken });
