// The chat model and the tutor: streaming replies from `/{region}/chat` (R-APP-6, R-APP-7),
// feedback on a learner's message (R-APP-2..4), the partner prompt and the scores (R-APP-5).
import { api, ApiError } from "./api.js";

/** Embedding models the fleet also serves (the conversations' vectors, the tutor's features, and the
 * brief's names for them): they cannot chat. */
const EMBEDDING_MODELS = ["all-minilm", "nomic-embed-text", "bert"];
const EMBEDDING_FAMILIES = ["bert", "nomic-bert"];

/** The chat models a region lists (`/{region}/tags`): a base or embedding model has no `chat`
 * capability and is not offered (issue 17); for a worker that lists no capabilities, all but the
 * embedding models. */
export async function models(region) {
  const answer = await api(`/${region}/tags`);
  const embedding = (model) =>
    EMBEDDING_MODELS.includes(model.name.split(":")[0]) || EMBEDDING_FAMILIES.includes(model.details?.family);
  const chat = (model) => (Array.isArray(model.capabilities) ? model.capabilities.includes("chat") : !embedding(model));
  return (answer.models || []).filter(chat).map((model) => model.name);
}

/** Only what the model needs of each message. */
const plain = (messages) => messages.map(({ role, content }) => ({ role, content }));

const FALLBACK_PROMPT = "You are a friendly English conversation partner for a learner. Reply in simple, natural " +
  "English in two or three sentences, and end with a short question that keeps the conversation going.";

const partnerBody = (conversation, level, scenario, extra = {}) =>
  ({ conversation: plain(conversation), ...(level ? { level } : {}), ...(scenario ? { scenario } : {}), ...extra });

/** The partner plan for the chat model: `{messages, options}` from the tutor (its prompt and the
 * sampling suited to small models), or a plain prompt if the tutor fails. */
export async function partnerPlan(conversation, level, scenario) {
  try {
    const answer = await api("/tutor/partner", { method: "POST", body: partnerBody(conversation, level, scenario) });
    if (Array.isArray(answer.messages) && answer.messages.length) return { messages: answer.messages, options: answer.options || {} };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
  }
  return { messages: [{ role: "system", content: FALLBACK_PROMPT }, ...plain(conversation)], options: {} };
}

/** The topic cards the tutor offers (`scenarios` of `/tutor/partner`); none if it fails. */
export async function scenarios() {
  try {
    const answer = await api("/tutor/partner", { method: "POST", body: { conversation: [] } });
    return Array.isArray(answer.scenarios) ? answer.scenarios : [];
  } catch {
    return [];
  }
}

/** The model's reply through the tutor's guard (issue 17: no runaway repetition, no made-up words,
 * at most three sentences, never the learner's voice, a follow-up question). The web app streams
 * the model directly, so the guard runs once the reply is complete; the raw reply if the tutor fails. */
export async function guardReply(conversation, level, scenario, reply) {
  try {
    const answer = await api("/tutor/partner", { method: "POST", body: partnerBody(conversation, level, scenario, { reply }) });
    if (typeof answer.reply === "string" && answer.reply.trim()) return answer.reply;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
  }
  return reply;
}

/**
 * Streams a reply: `onStart(region)` once the answering region is known (`x-cakap-region`, before
 * the first token), `onChunk(textSoFar, chunks)` after every NDJSON line with content. Resolves to
 * `{content, region, chunks}` where `region` is the one that answered (`x-cakap-region`).
 * An abort (the stop button) resolves with what arrived so far and `stopped: true`.
 */
export async function streamReply({ region, model, messages, options, signal, onStart, onChunk }) {
  const request = () => api(`/${region}/chat`, {
    method: "POST", body: { model, messages, stream: true, options: { num_predict: 120, ...(options || {}) } }, signal, stream: true,
  });
  let response;
  for (let attempt = 1; !response; attempt += 1) {
    try {
      response = await request();
    } catch (error) {
      // Both regions refused before any byte (a pool between health checks): twice more, 2 s apart.
      const refused = error instanceof ApiError && (error.status === 502 || error.status === 503);
      if (!refused || attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
  const answeredBy = response.headers.get("x-cakap-region") || region;
  onStart?.(answeredBy);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let content = "";
  let chunks = 0;
  const take = (line) => {
    if (!line.trim()) return;
    let object;
    try { object = JSON.parse(line); } catch { throw new ApiError(502, "The chat service sent a broken reply."); }
    if (object.error) throw new ApiError(502, "The chat model stopped with an error. Try again.", object.error);
    const piece = object.message?.content || "";
    if (piece) {
      content += piece;
      chunks += 1;
      onChunk(content, chunks);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        take(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    take(buffer);
  } catch (error) {
    if (error.name === "AbortError") return { content, region: answeredBy, chunks, stopped: true };
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "The connection broke while the reply was arriving.");
  }
  return { content, region: answeredBy, chunks, stopped: false };
}

/** Earlier turns for the tutor's memory: each learner turn's findings reduced to what the tutor
 * counts (the span and rule of each match), oldest turns dropped past ~200 KB (its limit: 256 KiB). */
export function historyForTutor(messages) {
  const turns = messages.filter((m) => m.role !== "system").map(({ role, content, feedback }) =>
    (role === "user" && Array.isArray(feedback?.matches)
      ? { role, content, feedback: { matches: feedback.matches.map(({ offset, length, rule }) => ({ offset, length, rule })) } }
      : { role, content }));
  while (turns.length && JSON.stringify(turns).length > 200_000) turns.shift();
  return turns;
}

/** `POST /tutor/feedback` with the earlier turns and their findings (the tutor's memory). */
export function feedback(text, lang, conversationId, history) {
  return api("/tutor/feedback", {
    method: "POST",
    body: { text, lang, conversation_id: conversationId, history: historyForTutor(history) },
  });
}

/** `POST /tutor/score`: nine aspects and a CEFR band. */
export function score(conversation, lang) {
  return api("/tutor/score", { method: "POST", body: { conversation: plain(conversation), lang } });
}
