// The signed-in session. The ID and access tokens live in memory only; the refresh token is kept
// in sessionStorage (this tab only, gone when it closes) so a reload does not sign the learner
// out — the documented trade-off (docs/web.md). The ID token is refreshed a minute before it
// expires. Nothing here is ever logged or put in a URL.
import * as cognito from "./cognito.js";

const REFRESH_KEY = "cakap.session.refresh";
const REFRESH_MARGIN_MS = 60_000;

let current = null; // {idToken, accessToken, claims, expiresAt}
let timer = null;
let pending = null;
const listeners = new Set();

/** Calls `listener(session|null)` whenever the learner signs in or out. */
export function onChange(listener) {
  listeners.add(listener);
}

function notify() {
  for (const listener of listeners) listener(current ? profile() : null);
}

/** The claims of a JWT (not verified here: the API verifies every token). */
export function decodeClaims(token) {
  const part = token.split(".")[1] || "";
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function profile() {
  return { sub: current.claims.sub, email: current.claims.email, name: current.claims.name || current.claims.email };
}

/** The signed-in learner ({sub, email, name}) or null. */
export function user() {
  return current ? profile() : null;
}

function accept(result, refreshToken) {
  const claims = decodeClaims(result.IdToken);
  current = {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    claims,
    expiresAt: claims.exp * 1000,
  };
  if (refreshToken) sessionStorage.setItem(REFRESH_KEY, refreshToken);
  clearTimeout(timer);
  const wait = Math.max(5_000, current.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => { renew().catch(() => {}); }, wait);
  notify();
}

/** USER_PASSWORD_AUTH (R-AUTH-5). */
export async function signIn(email, password) {
  const answer = await cognito.signIn(email, password);
  if (!answer.AuthenticationResult) {
    throw new cognito.CognitoError("Challenge", "This account needs a step this app does not support.");
  }
  accept(answer.AuthenticationResult, answer.AuthenticationResult.RefreshToken);
}

/** REFRESH_TOKEN_AUTH (R-AUTH-5); one at a time. Signs out if the refresh token is refused. */
export function renew() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.reject(new cognito.CognitoError("NoSession", "Please sign in."));
  pending ??= cognito.refresh(refreshToken)
    .then((answer) => accept(answer.AuthenticationResult, answer.AuthenticationResult.RefreshToken))
    .catch((error) => {
      if (error.type !== "NetworkError") end();
      throw error;
    })
    .finally(() => { pending = null; });
  return pending;
}

/** Restores the session of this tab after a reload, if it has one. */
export async function restore() {
  if (!sessionStorage.getItem(REFRESH_KEY)) return false;
  try {
    await renew();
    return true;
  } catch {
    return false;
  }
}

/** A valid ID token for `Authorization`, refreshed first when it is about to expire. */
export async function idToken() {
  if (!current) throw new cognito.CognitoError("NoSession", "Please sign in.");
  if (current.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) await renew();
  return current.idToken;
}

function end() {
  clearTimeout(timer);
  current = null;
  sessionStorage.removeItem(REFRESH_KEY);
  notify();
}

/** Signs out everywhere (GlobalSignOut) and forgets every token, even if the call fails. */
export async function signOut() {
  const accessToken = current?.accessToken;
  end();
  if (accessToken) {
    try { await cognito.globalSignOut(accessToken); } catch { /* tokens are already forgotten here */ }
  }
}

/** Forgets the session without calling the pool (after the API said 401). */
export function expire() {
  end();
}

/** The access token, for the pool's own calls (GetUser on the check page). */
export function accessToken() {
  return current?.accessToken;
}
