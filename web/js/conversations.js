// The learner's history through the conversations API (R-API-1), and the outbox that makes
// sure no turn is lost: every change is written to a local outbox first, then sent; what could
// not be sent (offline, 5xx, 429) is sent again every few seconds and when the browser is back
// online. The outbox holds conversation text only (no tokens) in localStorage, per learner.
import { api, ApiError } from "./api.js";
import * as session from "./session.js";

const RETRY_MS = 3_000;
let timer = null;
let flushing = null;
const listeners = new Set();

const base = () => `/conversations/${encodeURIComponent(session.user().sub)}`;
const outboxKey = () => `cakap.outbox.${session.user().sub}`;

/** Calls `listener(pendingCount)` when the outbox changes. */
export function onOutboxChange(listener) {
  listeners.add(listener);
}

function readOutbox() {
  try {
    return JSON.parse(localStorage.getItem(outboxKey()) || "{}");
  } catch {
    return {};
  }
}

function writeOutbox(outbox) {
  localStorage.setItem(outboxKey(), JSON.stringify(outbox));
  for (const listener of listeners) listener(Object.keys(outbox).length);
}

/** Conversations not yet saved on the server (shown in history until they are). */
export function pending() {
  return session.user() ? Object.values(readOutbox()) : [];
}

/** Queues the whole conversation `{id, title, conversation}` and tries to send it now. */
export function save(conversation) {
  const outbox = readOutbox();
  outbox[conversation.id] = {
    id: conversation.id,
    title: conversation.title,
    conversation: conversation.conversation,
    queuedAt: new Date().toISOString(),
  };
  writeOutbox(outbox);
  return flush();
}

/** Sends what it can, then forgets this learner's outbox: on a shared computer the next person
 * must not find (or have sent under their name) the last one's text (issue 19). What could not be
 * sent is only dropped when `confirmDrop(count)` says so (the learner is asked: never lost
 * silently). Resolves to the number dropped, or null when the learner chose to stay signed in. */
export async function clearOnSignOut(confirmDrop = () => true) {
  if (!session.user()) return 0;
  // At most 5 s: a learner signing out on a slow network is not kept waiting.
  const timeout = new Promise((resolve) => setTimeout(() => resolve(pending().length), 5000));
  const left = await Promise.race([flush(), timeout]).catch(() => pending().length);
  if (left > 0 && !confirmDrop(left)) return null;
  localStorage.removeItem(outboxKey());
  for (const listener of listeners) listener(0);
  return left;
}

/** Sends everything queued (changes queued meanwhile too); resolves to the number still waiting. */
export function flush() {
  // `.finally` runs after the assignment even when nothing is queued (an async function with no
  // await would finish before `flushing` is set, leaving a settled promise that blocks every later
  // flush: found by tests/web).
  flushing ??= sendAll().finally(() => { flushing = null; });
  return flushing;
}

async function sendAll() {
  // Items queued while sending are picked up by the next pass; a failure stops until the retry.
  while (Object.keys(readOutbox()).length > 0) {
    for (const item of Object.values(readOutbox())) {
      if (!(await send(item))) return Object.keys(readOutbox()).length;
    }
  }
  return 0;
}

/** One queued conversation: true when it was sent (or refused for good), false to retry later. */
async function send(item) {
  try {
    await put(item);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false; // kept until the next sign-in
    if (error instanceof ApiError && !error.retryable) {
      // Refused for good (a 400 names why): drop it from the queue and tell the learner.
      forget(item);
      window.dispatchEvent(new CustomEvent("cakap:save-refused", { detail: error.message }));
      return true;
    }
    schedule();
    return false;
  }
  forget(item);
  return true;
}

function forget(item) {
  const outbox = readOutbox();
  if (outbox[item.id]?.queuedAt === item.queuedAt) delete outbox[item.id];
  writeOutbox(outbox);
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => { if (session.user()) flush().catch(() => {}); }, RETRY_MS);
}

/** Ids known to exist on the server: those are updated with PUT, others created with POST. */
const known = new Set();

async function put({ id, title, conversation }) {
  const path = `${base()}/${id}`;
  if (!known.has(id)) {
    try {
      await api(base(), { method: "POST", body: { id, title, conversation } });
      known.add(id);
      return;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
    }
  }
  await api(path, { method: "PUT", body: { title, conversation } });
  known.add(id);
}

export async function list(cursor) {
  const page = await api(`${base()}?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  for (const item of page.items || []) known.add(item.id);
  return page;
}
export async function get(id) {
  const conversation = await api(`${base()}/${encodeURIComponent(id)}`);
  known.add(conversation.id);
  return conversation;
}
/** Renames on the server and in the outbox, so a queued save cannot bring the old title back. */
export async function rename(id, title) {
  const outbox = readOutbox();
  if (outbox[id]) {
    outbox[id].title = title;
    writeOutbox(outbox);
  }
  window.dispatchEvent(new CustomEvent("cakap:renamed", { detail: { id, title } }));
  return api(`${base()}/${encodeURIComponent(id)}`, { method: "PUT", body: { title } });
}

export async function remove(id) {
  const outbox = readOutbox();
  delete outbox[id];
  writeOutbox(outbox);
  known.delete(id);
  try {
    return await api(`${base()}/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { deleted: 0 };
    throw error;
  }
}

export async function removeAll() {
  writeOutbox({});
  known.clear();
  return api(base(), { method: "DELETE" });
}

window.addEventListener("online", () => { if (session.user()) flush().catch(() => {}); });
