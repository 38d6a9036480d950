// Cakap's web app (issue 6): hash routes, the account screens, and the signed-in views.
// Plain ES modules, no build step (R-WEB-2); settings come from the generated /config.js.
import * as cognito from "./cognito.js";
import * as session from "./session.js";
import { announce } from "./dom.js";
import * as chat from "./chat-view.js";
import * as history from "./history-view.js";
import * as progress from "./progress-view.js";
import * as check from "./check-view.js";
import * as conversations from "./conversations.js";

const ACCOUNT_VIEWS = new Set(["signin", "signup", "confirm", "forgot"]);
const views = { chat, history, progress, check };
let email = ""; // carried between the account screens, never put in the URL

function route() {
  const [name = "", argument = ""] = location.hash.replace(/^#\/?/, "").split("/");
  const signedIn = Boolean(session.user());
  let view = name || (signedIn ? "chat" : "signin");
  if (!signedIn && !ACCOUNT_VIEWS.has(view)) view = "signin";
  if (signedIn && ACCOUNT_VIEWS.has(view)) view = "chat";
  if (!ACCOUNT_VIEWS.has(view) && !views[view]) view = signedIn ? "chat" : "signin";
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `Cakap — ${document.querySelector(`#view-${view} h1`)?.textContent || "practise English"}`;
  if (ACCOUNT_VIEWS.has(view)) {
    for (const input of document.querySelectorAll(`#view-${view} input[type=email]`)) if (!input.value) input.value = email;
    document.querySelector(`#view-${view} input:not([value])`)?.focus();
  } else {
    views[view].show(argument);
  }
}

function formError(form, message) {
  const box = form.querySelector(".form-error");
  box.textContent = message || "";
  box.hidden = !message;
}

/** Runs `action` for a form: disables its buttons meanwhile, shows a refusal in the form. */
function handle(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, "");
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(form)));
    } catch (error) {
      formError(form, error instanceof cognito.CognitoError ? error.message : "Something went wrong. Try again.");
      if (error.type === "UserNotConfirmedException") location.hash = "#/confirm";
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
}

function require(values, ...names) {
  for (const name of names) {
    if (!String(values[name] || "").trim()) throw new cognito.CognitoError("Missing", `Please fill in ${name === "code" ? "the code" : `your ${name}`}.`);
  }
}

function wireAccount() {
  for (const hint of [document.getElementById("password-policy"), document.getElementById("reset-policy")]) {
    hint.textContent = cognito.PASSWORD_POLICY;
  }
  handle(document.getElementById("signin-form"), async (values) => {
    require(values, "email", "password");
    email = values.email.trim();
    await session.signIn(email, values.password);
    announce(""); // the account screens' notes are done with
    document.getElementById("signin-form").reset();
    location.hash = "#/chat";
  });
  handle(document.getElementById("signup-form"), async (values) => {
    require(values, "name", "email", "password");
    if (!cognito.meetsPolicy(values.password)) throw new cognito.CognitoError("Policy", `Password: ${cognito.PASSWORD_POLICY}`);
    email = values.email.trim();
    const answer = await cognito.signUp(values.name.trim(), email, values.password);
    document.getElementById("signup-form").reset();
    if (answer.UserConfirmed) {
      announce("Your account is ready. Sign in.");
      location.hash = "#/signin";
    } else {
      announce("We sent you a confirmation code. Enter it below.");
      document.getElementById("confirm-email").value = email;
      location.hash = "#/confirm";
    }
  });
  handle(document.getElementById("confirm-form"), async (values) => {
    require(values, "email", "code");
    email = values.email.trim();
    await cognito.confirmSignUp(email, values.code.trim());
    document.getElementById("confirm-form").reset();
    announce("Your email is confirmed. Sign in.");
    location.hash = "#/signin";
  });
  document.getElementById("resend-code").addEventListener("click", async () => {
    const form = document.getElementById("confirm-form");
    formError(form, "");
    try {
      const address = document.getElementById("confirm-email").value.trim();
      if (!address) throw new cognito.CognitoError("Missing", "Please fill in your email.");
      await cognito.resendCode(address);
      announce("We sent you a new code.");
    } catch (error) {
      formError(form, error.message);
    }
  });
  handle(document.getElementById("forgot-form"), async (values) => {
    require(values, "email");
    email = values.email.trim();
    await cognito.forgotPassword(email);
    announce("If the address has an account, we sent it a code.");
    document.getElementById("reset-form").hidden = false;
    document.getElementById("reset-code").focus();
  });
  handle(document.getElementById("reset-form"), async (values) => {
    require(values, "code", "password");
    if (!cognito.meetsPolicy(values.password)) throw new cognito.CognitoError("Policy", `Password: ${cognito.PASSWORD_POLICY}`);
    await cognito.confirmForgotPassword(email, values.code.trim(), values.password);
    document.getElementById("reset-form").reset();
    document.getElementById("reset-form").hidden = true;
    announce("Your password is changed. Sign in with it.");
    location.hash = "#/signin";
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    signingOut = true;
    chat.reset();
    const dropped = await conversations.clearOnSignOut((count) => window.confirm(
      `${count === 1 ? "One conversation is" : `${count} conversations are`} not saved yet: the history ` +
      `service cannot be reached. Signing out removes ${count === 1 ? "it" : "them"} from this device. ` +
      "Sign out anyway?"));
    if (dropped === null) {
      signingOut = false;
      announce("You are still signed in. Your unsaved conversation stays on this device and is sent when history is back.");
      return;
    }
    await session.signOut();
    signingOut = false;
  });
}

let wasSignedIn = false;
let signingOut = false;
session.onChange((user) => {
  document.getElementById("nav").hidden = !user;
  document.getElementById("account").hidden = !user;
  document.getElementById("who").textContent = user ? user.name : "";
  if (user && !wasSignedIn) conversations.flush().catch(() => {});
  if (!user && wasSignedIn) {
    chat.reset();
    if (signingOut) announce("You are signed out.");
    else announce("Your session has ended. Please sign in again.", "error");
    location.hash = "#/signin";
  }
  const changed = wasSignedIn !== Boolean(user);
  wasSignedIn = Boolean(user);
  if (changed) route(); // a renewed token changes nothing on the page
});

window.addEventListener("hashchange", route);
window.addEventListener("cakap:save-refused", (event) => announce(`Could not save: ${event.detail}`, "error"));
window.addEventListener("unhandledrejection", (event) => {
  // Never a raw error for the learner; the detail stays in this tab only.
  event.preventDefault();
  announce("Something went wrong. Try again.", "error");
});

wireAccount();
chat.init();
history.init();
check.init();
if (!(await session.restore())) route();
