// Feedback beside a learner's message (R-APP-2..4): the error spans highlighted in the text
// (hover, focus or tap shows the message, the replacement and the explanation), the corrected
// sentence, better words, tips, and a notice for a mistake the learner made before.
import { h } from "./dom.js";

const WORDS = {
  en: {
    mistake: "Mistake", try: "Try", none: "No mistakes found. Well done!", corrected: "Corrected",
    better: "Better words", tips: "Tips", before: "You did this before", explainIn: "Penjelasan dalam Bahasa Indonesia",
    checking: "Checking your message…", times: (n) => `${n} time${n === 1 ? "" : "s"}`,
    scope: { this_conversation: "in this conversation", earlier_conversations: "in earlier conversations" },
  },
  id: {
    mistake: "Kesalahan", try: "Coba", none: "Tidak ada kesalahan. Bagus!", corrected: "Perbaikan",
    better: "Kata yang lebih baik", tips: "Tips", before: "Kamu pernah melakukan ini", explainIn: "Explain in English",
    checking: "Memeriksa pesanmu…", times: (n) => `${n} kali`,
    scope: { this_conversation: "dalam percakapan ini", earlier_conversations: "dalam percakapan sebelumnya" },
  },
};

export const words = (lang) => WORDS[lang] || WORDS.en;

let nextId = 0;

/** Matches that fit inside `text` and do not overlap, in order (a span is UTF-16 units, as JS). */
export function usableMatches(text, matches = []) {
  const sorted = [...matches]
    .filter((m) => Number.isInteger(m.offset) && Number.isInteger(m.length) && m.length > 0
      && m.offset >= 0 && m.offset + m.length <= text.length)
    .sort((a, b) => a.offset - b.offset);
  const kept = [];
  let end = 0;
  for (const match of sorted) {
    if (match.offset < end) continue;
    kept.push(match);
    end = match.offset + match.length;
  }
  return kept;
}

/** The learner's text with every mistake as a focusable highlight that explains itself. */
export function highlightedText(text, matches, lang) {
  const w = words(lang);
  const paragraph = h("p", { class: "message-text" });
  let at = 0;
  for (const match of usableMatches(text, matches)) {
    if (match.offset > at) paragraph.append(text.slice(at, match.offset));
    const original = text.slice(match.offset, match.offset + match.length);
    const id = `tip-${nextId++}`;
    const replacement = (match.replacements || [])[0];
    const tip = h("span", { class: "mistake-tip", role: "tooltip", id },
      h("strong", {}, match.shortMessage || w.mistake),
      h("span", { class: "tip-message" }, match.message || ""),
      replacement !== undefined ? h("span", { class: "tip-replacement" }, `${w.try}: `, h("q", {}, replacement)) : null);
    const button = h("button", {
      type: "button", class: "mistake", "aria-describedby": id, "aria-expanded": "false",
      "data-category": match.rule?.category || "", "data-replacement": replacement ?? "",
      "aria-label": `${w.mistake}: ${original}`,
      onclick: (event) => {
        const open = button.getAttribute("aria-expanded") !== "true";
        for (const other of document.querySelectorAll(".mistake[aria-expanded='true']")) {
          other.setAttribute("aria-expanded", "false");
        }
        button.setAttribute("aria-expanded", String(open));
        event.stopPropagation();
      },
      onkeydown: (event) => { if (event.key === "Escape") button.setAttribute("aria-expanded", "false"); },
    }, original);
    paragraph.append(h("span", { class: "mistake-wrap" }, button, tip));
    at = match.offset + match.length;
  }
  if (at < text.length) paragraph.append(text.slice(at));
  return paragraph;
}

/** The panel beside a learner's message; `onLanguage(lang)` asks for it again in the other language. */
export function feedbackPanel(text, feedback, lang, onLanguage) {
  const w = words(lang);
  const other = lang === "id" ? "en" : "id";
  const panel = h("aside", { class: "feedback", "aria-label": "Feedback", lang });
  const matches = usableMatches(text, feedback.matches);
  panel.append(matches.length
    ? h("p", { class: "feedback-summary" }, `${matches.length} × ${w.mistake.toLowerCase()}`)
    : h("p", { class: "feedback-summary ok" }, w.none));
  if (feedback.corrected && feedback.corrected !== text) {
    panel.append(h("p", { class: "corrected" }, h("span", { class: "label" }, `${w.corrected}: `), feedback.corrected));
  }
  for (const item of feedback.recurring || []) {
    panel.append(h("p", { class: "recurring", role: "note" },
      h("strong", {}, `${w.before}: `),
      item.message || `${item.category} — ${w.times(item.count)} ${w.scope[item.scope] || ""}`));
  }
  if ((feedback.better_words || []).length) {
    panel.append(h("h4", {}, w.better), h("ul", { class: "better-words" },
      feedback.better_words.map((b) => h("li", {}, h("q", {}, b.original), " → ", h("q", {}, b.suggestion),
        b.reason ? h("span", { class: "reason" }, ` — ${b.reason}`) : null))));
  }
  if ((feedback.tips || []).length) {
    panel.append(h("h4", {}, w.tips), h("ul", { class: "tips" }, feedback.tips.map((tip) => h("li", {}, tip))));
  }
  if (onLanguage) {
    panel.append(h("button", { type: "button", class: "link language-switch", lang: other, onclick: () => onLanguage(other) },
      w.explainIn));
  }
  return panel;
}

document.addEventListener("click", () => {
  for (const open of document.querySelectorAll(".mistake[aria-expanded='true']")) open.setAttribute("aria-expanded", "false");
});
