// The chat (R-APP-1..7): a conversation with the model, streamed as it arrives, feedback beside
// each learner message, the region and model pickers, the stop button, voice input, scores.
// Every turn is queued in the outbox before anything else, so none is lost (conversations.js).
import config from "../config.js";
import { ApiError } from "./api.js";
import { bandLine, radarChart } from "./charts.js";
import * as conversations from "./conversations.js";
import { announce, h, replaceChildren } from "./dom.js";
import { feedbackPanel, highlightedText, words } from "./feedback.js";
import * as tutor from "./tutor.js";

const $ = (id) => document.getElementById(id);
let current = newConversation();
let controller = null;
let waitingForReply = false;

function newConversation() {
  return { id: crypto.randomUUID(), title: "", conversation: [], loaded: true };
}

const region = () => $("region").value || config.regions[0];
const scenario = () => current.scenario || $("scenario").value || "";
const feedbackLang = () => $("feedback-lang").value;
const titleFrom = (text) => (text.replace(/\s+/g, " ").trim().slice(0, 60) || "Conversation");

/** Wires the controls once. */
export function init() {
  for (const name of config.regions) $("region").append(h("option", { value: name }, name));
  $("region").value = config.regions.includes(localStorage.getItem("cakap.region"))
    ? localStorage.getItem("cakap.region") : config.regions[0];
  $("feedback-lang").value = localStorage.getItem("cakap.feedbackLang") === "id" ? "id" : "en";
  $("region").addEventListener("change", () => {
    localStorage.setItem("cakap.region", region());
    $("region-note").hidden = true;
    loadModels();
  });
  $("model").addEventListener("change", () => localStorage.setItem("cakap.model", $("model").value));
  $("feedback-lang").addEventListener("change", () => localStorage.setItem("cakap.feedbackLang", feedbackLang()));
  $("new-chat").addEventListener("click", () => { location.hash = "#/chat/new"; });
  $("score-chat").addEventListener("click", () => scoreConversation());
  $("stop").addEventListener("click", () => controller?.abort());
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("message-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  setUpVoice();
  $("scenario").addEventListener("change", () => startScenario($("scenario").value));
  window.addEventListener("online", () => { if (waitingForReply && !controller) reply(); });
  // Renamed in history: later saves of the open conversation keep the new title.
  window.addEventListener("cakap:renamed", ({ detail }) => { if (detail.id === current.id) current.title = detail.title; });
}

/** Shows the chat: `new`, a conversation id to open, or nothing for the current one. */
export async function show(argument) {
  if (!$("model").dataset.loaded) loadModels();
  // After sign-in, not at start-up: /tutor/partner needs the learner's token.
  if (!$("scenario").dataset.loaded) loadScenarios();
  if (argument === "new") {
    if (controller) controller.abort();
    current = newConversation();
    history.replaceState(null, "", "#/chat");
  } else if (argument && argument !== current.id) {
    await open(argument);
  } else if (argument) {
    // The open conversation again (from history): its title may have been changed there.
    const stored = await conversations.get(argument).catch(() => null);
    if (stored && argument === current.id) current.title = stored.title;
  }
  render();
  $("message-input").focus();
}

/** Forgets the open conversation (sign-out). */
export function reset() {
  controller?.abort();
  current = newConversation();
  waitingForReply = false;
  replaceChildren($("messages"));
  $("score-panel").hidden = true;
  $("model").dataset.loaded = "";
}

async function open(id) {
  const queued = conversations.pending().find((item) => item.id === id);
  try {
    const stored = queued || await conversations.get(id);
    current = { id: stored.id, title: stored.title, conversation: stored.conversation || [], loaded: true };
    const last = current.conversation.at(-1);
    waitingForReply = last?.role === "user";
  } catch (error) {
    announce(error instanceof ApiError ? error.message : "Could not open that conversation.", "error");
    current = newConversation();
  }
}

/** Fills the topic picker with the tutor's cards (issue 17). */
async function loadScenarios() {
  const cards = await tutor.scenarios();
  replaceChildren($("scenario"), [h("option", { value: "" }, "Free conversation"),
    ...cards.map((card) => h("option", { value: card.id, "data-opener": card.opener }, `${card.title} (${card.level})`))]);
  if (cards.length) $("scenario").dataset.loaded = "true";
}

/** A picked card starts a new conversation with the partner's curated opening question. */
function startScenario(id) {
  if (controller) controller.abort();
  current = newConversation();
  current.scenario = id;
  const opener = $("scenario").selectedOptions[0]?.dataset.opener;
  if (id && opener) current.conversation.push({ role: "assistant", content: opener });
  history.replaceState(null, "", "#/chat");
  render();
  $("message-input").focus();
}

async function loadModels() {
  const select = $("model");
  const wanted = localStorage.getItem("cakap.model") || config.defaultModel;
  try {
    const names = await tutor.models(region());
    replaceChildren(select, names.map((name) => h("option", { value: name }, name)));
    select.value = names.includes(wanted) ? wanted : (names.includes(config.defaultModel) ? config.defaultModel : names[0] || "");
    select.dataset.loaded = "true";
  } catch (error) {
    replaceChildren(select, h("option", { value: config.defaultModel }, config.defaultModel));
    announce(`Could not list the models: ${error.message}`, "error");
  }
}

// MARK: rendering

function render() {
  $("chat-title").textContent = current.title || "New conversation";
  const list = $("messages");
  replaceChildren(list, current.conversation.map((message, index) => renderMessage(message, index))
    .filter(Boolean));
  const score = current.conversation.findLast((message) => message.feedback?.score)?.feedback.score;
  if (score) showScore(score); else $("score-panel").hidden = true;
  if (waitingForReply) list.append(retryItem("Your last message has no reply yet."));
}

function renderMessage(message, index) {
  if (message.role === "system") return null;
  const item = h("li", { class: `turn ${message.role}`, "data-index": index, "data-role": message.role });
  if (message.role === "user") {
    const bubble = h("div", { class: "bubble" }, h("span", { class: "who visually-hidden" }, "You: "));
    item.append(bubble);
    fillUserTurn(item, message, index);
  } else {
    item.append(h("div", { class: "bubble" }, h("span", { class: "who visually-hidden" }, "Partner: "),
      h("p", { class: "message-text" }, message.content)));
  }
  return item;
}

function fillUserTurn(item, message, index) {
  const bubble = item.querySelector(".bubble");
  bubble.querySelector(".message-text")?.remove();
  item.querySelector(".feedback")?.remove();
  // `language` in the tutor's answer is the learner's language; the explanations' is ours to keep.
  const lang = message.feedback?.explanation_language || feedbackLang();
  if (message.checking) {
    bubble.append(h("p", { class: "message-text" }, message.content));
    item.append(h("aside", { class: "feedback pending", "aria-label": "Feedback" }, words(message.checking).checking));
    item.dataset.feedback = "pending";
  } else if (message.feedback && !message.feedback.error) {
    bubble.append(highlightedText(message.content, message.feedback.matches, lang));
    item.append(feedbackPanel(message.content, message.feedback, lang, (other) => requestFeedback(index, other)));
    item.dataset.feedback = "ready";
  } else {
    bubble.append(h("p", { class: "message-text" }, message.content));
    item.append(h("aside", { class: "feedback failed", "aria-label": "Feedback" },
      message.feedbackError || "No feedback yet.", " ",
      h("button", { type: "button", class: "link", onclick: () => requestFeedback(index, feedbackLang()) }, "Check this message")));
    item.dataset.feedback = "none";
  }
}

function rerenderTurn(index) {
  const item = $("messages").querySelector(`li[data-index="${index}"]`);
  if (item) fillUserTurn(item, current.conversation[index], index);
}

function retryItem(text) {
  return h("li", { class: "turn notice", id: "retry-reply" }, h("p", {}, text, " ",
    h("button", { type: "button", onclick: () => reply() }, "Get a reply")));
}

// MARK: a turn

/** Only the stored fields of a message (the view keeps transient ones such as `checking`). */
const stored = ({ role, content, feedback }) => (feedback ? { role, content, feedback } : { role, content });

function save() {
  conversations.save({ id: current.id, title: current.title, conversation: current.conversation.map(stored) })
    .then((waiting) => { if (waiting) announce("Saved on this device; it will be sent to your history when the connection is back.", "warning"); })
    .catch((error) => announce(`Could not save: ${error.message}`, "error"));
}

async function send() {
  const input = $("message-input");
  const text = input.value.trim();
  if (!text || controller) return;
  if (text.length > 5000) {
    announce("Your message is too long: at most 5,000 characters.", "error");
    return;
  }
  input.value = "";
  current.title ||= titleFrom(text);
  $("chat-title").textContent = current.title;
  const message = { role: "user", content: text };
  current.conversation.push(message);
  const index = current.conversation.length - 1;
  $("retry-reply")?.remove();
  $("messages").append(renderMessage(message, index));
  save();
  requestFeedback(index, feedbackLang());
  await reply();
}

/** Streams the partner's reply to the conversation as it stands. */
async function reply() {
  $("retry-reply")?.remove();
  waitingForReply = true;
  controller = new AbortController();
  $("stop").disabled = false;
  $("send").disabled = true;
  const text = h("p", { class: "message-text" });
  const meta = h("p", { class: "meta" });
  const item = h("li", { class: "turn assistant streaming", "data-streaming": "true", "data-chunks": "0" },
    h("div", { class: "bubble" }, h("span", { class: "who visually-hidden" }, "Partner: "), text, meta));
  text.append(h("span", { class: "typing", "aria-label": "The partner is writing" }, "…"));
  $("messages").append(item);
  const conversationId = current.id;
  try {
    const { messages, options } = await tutor.partnerPlan(current.conversation, $("level").value, scenario());
    const result = await tutor.streamReply({
      region: region(), model: $("model").value || config.defaultModel, messages, options, signal: controller.signal,
      onStart: (answeredBy) => {
        item.dataset.region = answeredBy;
        noteRegion(answeredBy, meta);
      },
      onChunk: (soFar, chunks) => {
        text.textContent = soFar;
        item.dataset.chunks = String(chunks);
        item.scrollIntoView({ block: "end" });
      },
    });
    if (conversationId !== current.id) return;
    if (result.content.trim() && !result.stopped) {
      result.content = await tutor.guardReply(current.conversation, $("level").value, scenario(), result.content);
      text.textContent = result.content;
    }
    if (conversationId !== current.id) return;
    if (result.content.trim()) {
      current.conversation.push({ role: "assistant", content: result.content });
      item.dataset.index = String(current.conversation.length - 1);
      waitingForReply = false;
      save();
    }
    if (result.stopped) meta.append(h("span", { class: "stopped" }, " Stopped."));
    if (!result.content.trim()) {
      item.remove();
      if (!result.stopped) $("messages").append(retryItem("The partner sent an empty reply."));
    }
  } catch (error) {
    item.remove();
    if (conversationId === current.id && error.name !== "AbortError") {
      const message = error instanceof ApiError ? error.message : "The reply could not be fetched.";
      $("messages").append(retryItem(`${message} Your message is kept.`));
      announce(message, "error");
    }
  } finally {
    item.dataset.streaming = "false";
    item.classList.remove("streaming");
    controller = null;
    $("stop").disabled = true;
    $("send").disabled = false;
  }
}

function noteRegion(answered, meta) {
  const asked = region();
  const note = $("region-note");
  if (answered !== asked) {
    note.textContent = `${asked} could not answer, so ${answered} did.`;
    note.hidden = false;
    note.dataset.region = answered;
    meta.textContent = `Answered by ${answered} (${asked} was unavailable).`;
  } else {
    note.hidden = true;
    meta.textContent = "";
  }
}

async function requestFeedback(index, lang) {
  const conversationId = current.id;
  const message = current.conversation[index];
  message.checking = lang; // the language asked for, to say "checking" in it
  delete message.feedbackError;
  rerenderTurn(index);
  try {
    const answer = await tutor.feedback(message.content, lang, conversationId, current.conversation.slice(0, index));
    message.feedback = { ...answer, explanation_language: lang };
  } catch (error) {
    message.feedbackError = `Feedback is not available: ${error instanceof ApiError ? error.message : "try again"}`;
  } finally {
    delete message.checking;
  }
  if (conversationId !== current.id) {
    if (message.feedback) conversations.save(await withFeedback(conversationId, index, message)).catch(() => {});
    return;
  }
  rerenderTurn(index);
  if (message.feedback) save();
}

/** A conversation left while its feedback was on the way: store the feedback in it anyway. */
async function withFeedback(id, index, message) {
  const saved = conversations.pending().find((item) => item.id === id) || await conversations.get(id);
  saved.conversation[index] = stored(message);
  return { id, title: saved.title, conversation: saved.conversation.map(stored) };
}

// MARK: scores

async function scoreConversation() {
  const spoken = current.conversation.filter((m) => m.role !== "system");
  if (!spoken.some((m) => m.role === "user")) {
    announce("Write at least one message before scoring.", "error");
    return;
  }
  const button = $("score-chat");
  button.disabled = true;
  announce("Scoring your conversation…");
  try {
    const result = await tutor.score(spoken, feedbackLang());
    // Below the tutor's minimum of evidence there is no band: `cefr` is null and `keep_talking` says why.
    const score = { aspects: result.aspects, cefr: result.cefr ?? null, keep_talking: result.keep_talking ?? null,
      scored_at: new Date().toISOString() };
    showScore(score);
    announce(result.cefr ? `Scored: level ${result.cefr}.` : result.keep_talking || "Keep talking to get a level.");
    const last = current.conversation.findLast((m) => m.role === "assistant");
    if (last) {
      last.feedback = { score };
      save();
    }
  } catch (error) {
    announce(`Could not score: ${error instanceof ApiError ? error.message : "try again"}`, "error");
  } finally {
    button.disabled = false;
  }
}

function showScore(score) {
  replaceChildren($("score-chart"), radarChart(score.aspects, score.cefr));
  $("score-band").textContent = bandLine(score);
  replaceChildren($("score-reasons"), score.aspects.map((a) =>
    h("li", {}, h("strong", {}, `${a.label}: ${Math.round(a.score)}`), a.reason ? ` — ${a.reason}` : "")));
  $("score-panel").hidden = false;
}

// MARK: voice

function setUpVoice() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  const button = $("voice");
  if (!Recognition) return;
  button.hidden = false;
  let recognition = null;
  button.addEventListener("click", () => {
    if (recognition) {
      recognition.stop();
      return;
    }
    recognition = new Recognition();
    recognition.lang = "en-US";
    recognition.interimResults = true;
    const before = $("message-input").value;
    recognition.onresult = (event) => {
      const heard = Array.from(event.results).map((result) => result[0].transcript).join("");
      $("message-input").value = `${before}${before ? " " : ""}${heard}`;
    };
    recognition.onerror = (event) => {
      announce(event.error === "not-allowed" ? "The microphone is blocked for this page." : "Voice input is not available here.", "error");
    };
    recognition.onend = () => {
      recognition = null;
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Speak";
    };
    recognition.start();
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Stop listening";
  });
}
