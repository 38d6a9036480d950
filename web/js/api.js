// Calls to the API behind the edge or API Gateway, with the ID token (R-AUTH-6), and the
// learner-facing wording of every failure (401, 403, 413, 429, 5xx, offline).
import config from "../config.js";
import * as session from "./session.js";

/** A failed API call: `status` 0 means the network failed; `message` is for the learner. */
export class ApiError extends Error {
  constructor(status, message, detail = "") {
    super(message);
    this.status = status;
    this.detail = detail;
  }

  /** Worth trying again later (offline, throttled, or the service was down). */
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export const OFFLINE_MESSAGE = "You seem to be offline, or the server cannot be reached.";

function explain(status, serverMessage, path) {
  switch (status) {
    case 400: return serverMessage || "The request was not valid.";
    case 401: return "Your session has ended. Please sign in again.";
    case 403: return "Your account may not do that.";
    case 404: return "Not found: it may have been deleted.";
    case 409: return "This was changed somewhere else. Reload and try again.";
    case 413: return "That is too long to send.";
    case 429: return "You are sending requests too quickly. Wait a few seconds and try again.";
    case 502:
    case 503:
    case 504:
      if (/^\/(us-east-1|us-west-2)\//.test(path)) {
        return "The chat service is down in both regions right now. Try again in a minute.";
      }
      if (path.startsWith("/conversations")) return "The history service is unavailable right now.";
      if (path.startsWith("/tutor")) return "The tutor is unavailable right now.";
      return "The service is unavailable right now. Try again in a minute.";
    default: return status >= 500 ? "Something went wrong on the server. Try again." : (serverMessage || `Error ${status}.`);
  }
}

/**
 * `method path` with a JSON `body`; returns the parsed JSON answer, or the Response itself when
 * `stream` is set (the caller reads the body). Throws ApiError; a 401 also ends the session.
 */
export async function api(path, { method = "GET", body, signal, stream = false } = {}) {
  const token = await session.idToken();
  let response;
  try {
    response = await fetch(config.apiBaseURL + path, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, OFFLINE_MESSAGE);
  }
  if (!response.ok) {
    let serverMessage = "";
    try {
      const answer = await response.json();
      serverMessage = answer.error || answer.message || "";
    } catch { /* not JSON */ }
    if (response.status === 401) session.expire();
    throw new ApiError(response.status, explain(response.status, serverMessage, path), serverMessage);
  }
  if (stream) return response;
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}
