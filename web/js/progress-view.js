// Progress (R-APP-5): the overall score of each scored conversation over time as a line, and the
// latest radar. A score is stored with the conversation (on its last partner message's
// `feedback.score`, docs/web.md), so progress follows the learner to any device.
import { ApiError } from "./api.js";
import { bandLine, lineChart, radarChart } from "./charts.js";
import * as conversations from "./conversations.js";
import { h, replaceChildren, shortTime } from "./dom.js";

const $ = (id) => document.getElementById(id);
const LOOK_AT = 20; // the most recent conversations opened to find their scores

export async function show() {
  replaceChildren($("progress-chart"), h("p", { class: "hint" }, "Loading…"));
  replaceChildren($("progress-latest"));
  try {
    const page = await conversations.list();
    // What waits in the outbox is newer than the server's copy (a score just given, say).
    const queued = new Map(conversations.pending().map((item) => [item.id, item]));
    const recent = page.items.slice(0, LOOK_AT).filter((item) => !queued.has(item.id));
    const opened = [
      ...queued.values(),
      ...await Promise.all(recent.map((item) => conversations.get(item.id).catch(() => null))),
    ];
    const scored = opened.filter(Boolean).map((conversation) => {
      const score = conversation.conversation.findLast((m) => m.feedback?.score)?.feedback.score;
      return score ? { conversation, score } : null;
    }).filter(Boolean).sort((a, b) => (a.score.scored_at || "").localeCompare(b.score.scored_at || ""));
    if (!scored.length) {
      replaceChildren($("progress-chart"), h("p", { class: "empty" }, "No scores yet: in a chat, press “Score this conversation”."));
      return;
    }
    const overall = (score) => score.aspects.find((a) => a.id === "overall")?.score
      ?? score.aspects.reduce((sum, a) => sum + a.score, 0) / score.aspects.length;
    replaceChildren($("progress-chart"), lineChart(scored.map(({ conversation, score }) => ({
      label: shortTime(score.scored_at), value: overall(score), title: `${conversation.title} (${score.cefr || "no level yet"})`,
    })), "Overall score per conversation"));
    const latest = scored.at(-1);
    replaceChildren($("progress-latest"), h("h2", {}, `Latest: ${latest.conversation.title}`),
      radarChart(latest.score.aspects, latest.score.cefr), h("p", { class: "band-line" }, bandLine(latest.score)));
  } catch (error) {
    replaceChildren($("progress-chart"), h("p", { class: "empty error" }, error instanceof ApiError ? error.message : "Could not load your progress."));
  }
}
