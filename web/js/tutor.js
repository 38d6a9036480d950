// The chat model and the tutor: streaming replies from `/{region}/chat` (R-APP-6, R-APP-7),
// feedback on a learner's message (R-APP-2..4), the partner prompt and the scores (R-APP-5).
import { api, ApiError } from "./api.js";

/** Embedding models the fleet also serves (the conversations' vectors, the tutor's features): they cannot chat. */
const EMBEDDING_MODELS = ["all-minilm", "nomic-embed-text"];

/** The chat models a region lists (`/{region}/tags`). */
export async function models(region) {
  const answer = await api(`/${region}/tags`);
  return (answer.models || []).map((model) => model.name)
    .filter((name) => !EMBEDDING_MODELS.includes(name.split(":")[0]));
}

/** Only what the model needs of each message. */
const plain = (messages) => messages.map(({ role, content }) => ({ role, content }));

const FALLBACK_PROMPT = "You are a friendly English conversation partner for a learner. Reply in simple, natural " +
  "English in two or three sentences, and end with a short question that keeps the conversation going.";

/** The messages to send to the chat model: the tutor's partner prompt, or a plain one if it fails. */
export async function partnerMessages(conversation, level) {
  try {
    const answer = await api("/tutor/partner", { method: "POST", body: { conversation: plain(conversation), ...(level ? { level } : {}) } });
    if (Array.isArray(answer.messages) && answer.messages.length) return answer.messages;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
  }
  return [{ role: "system", content: FALLBACK_PROMPT }, ...plain(conversation)];
}

/**
 * Streams a reply: `onStart(region)` once the answering region is known (`x-cakap-region`, before
 * the first token), `onChunk(textSoFar, chunks)` after every NDJSON line with content. Resolves to
 * `{content, region, chunks}` where `region` is the one that answered (`x-cakap-region`).
 * An abort (the stop button) resolves with what arrived so far and `stopped: true`.
 */
export async function streamReply({ region, model, messages, signal, onStart, onChunk }) {
  const request = () => api(`/${region}/chat`, {
    method: "POST", body: { model, messages, stream: true, options: { num_predict: 120 } }, signal, stream: true,
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
