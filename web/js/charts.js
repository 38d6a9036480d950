// Charts drawn as SVG by our own code (issue 6): the nine aspects as a radar (R-APP-5) and the
// progress over past conversations as a line. Each chart has a text alternative.
import { h } from "./dom.js";

const SIZE = 320;

/** The level line under a chart, or the tutor's "keep talking" message when there is no band yet. */
export function bandLine(score) {
  return score.cefr ? `Level (CEFR): ${score.cefr}` : score.keep_talking || "Keep talking to get a level.";
}

/** A radar of `aspects` ([{id, label, score 0..100}]) with the CEFR band in the middle. */
export function radarChart(aspects, cefr) {
  const center = SIZE / 2;
  const radius = SIZE / 2 - 70;
  const point = (index, value) => {
    const angle = (Math.PI * 2 * index) / aspects.length - Math.PI / 2;
    return [center + Math.cos(angle) * radius * value, center + Math.sin(angle) * radius * value];
  };
  const ring = (value) => aspects.map((_, i) => point(i, value).map((n) => n.toFixed(1)).join(",")).join(" ");
  const summary = aspects.map((a) => `${a.label} ${Math.round(a.score)}`).join(", ");
  const svg = h("svg", {
    // Room beside the circle for the longest labels ("Responsiveness 100").
    class: "chart radar", viewBox: `-70 0 ${SIZE + 140} ${SIZE}`, role: "img", "aria-label": `Scores: ${summary}. Level ${cefr}.`,
    "data-aspects": aspects.length,
  },
  h("title", {}, `Scores (level ${cefr})`),
  [0.25, 0.5, 0.75, 1].map((value) => h("polygon", { class: "grid", points: ring(value) })),
  aspects.map((_, i) => {
    const [x, y] = point(i, 1);
    return h("line", { class: "axis", x1: center, y1: center, x2: x.toFixed(1), y2: y.toFixed(1) });
  }),
  h("polygon", {
    class: "area",
    points: aspects.map((a, i) => point(i, clamp(a.score) / 100).map((n) => n.toFixed(1)).join(",")).join(" "),
  }),
  aspects.map((a, i) => {
    const [x, y] = point(i, clamp(a.score) / 100);
    return h("circle", { class: "dot", cx: x.toFixed(1), cy: y.toFixed(1), r: 3 }, h("title", {}, `${a.label}: ${Math.round(a.score)}`));
  }),
  aspects.map((a, i) => {
    const [x, y] = point(i, 1.18);
    const anchor = Math.abs(x - center) < 10 ? "middle" : x < center ? "end" : "start";
    return h("text", { class: "label", x: x.toFixed(1), y: (y + 4).toFixed(1), "text-anchor": anchor },
      `${shortLabel(a.label)} ${Math.round(a.score)}`);
  }),
  h("text", { class: "band", x: center, y: center + 10, "text-anchor": "middle" }, cefr || ""));
  return svg;
}

/** A line of `points` ([{label, value 0..100, title}]) in order, oldest first. */
export function lineChart(points, caption) {
  const width = 560;
  const height = 240;
  const left = 40;
  const bottom = 30;
  const x = (i) => left + (points.length === 1 ? (width - left - 20) / 2 : ((width - left - 20) * i) / (points.length - 1));
  const y = (value) => 10 + (height - bottom - 10) * (1 - clamp(value) / 100);
  return h("svg", {
    class: "chart line", viewBox: `0 0 ${width} ${height}`, role: "img", "data-points": points.length,
    "aria-label": `${caption}: ${points.map((p) => `${p.label} ${Math.round(p.value)}`).join(", ")}`,
  },
  h("title", {}, caption),
  [0, 25, 50, 75, 100].map((value) => [
    h("line", { class: "grid", x1: left, x2: width - 10, y1: y(value), y2: y(value) }),
    h("text", { class: "label", x: left - 6, y: y(value) + 4, "text-anchor": "end" }, value),
  ]),
  h("polyline", { class: "trend", points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ") }),
  points.map((p, i) => h("circle", { class: "dot", cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 4 },
    h("title", {}, `${p.title}: ${Math.round(p.value)}`))),
  points.map((p, i) => h("text", { class: "label", x: x(i).toFixed(1), y: height - 8, "text-anchor": "middle" }, p.label)));
}

const clamp = (value) => Math.max(0, Math.min(100, Number(value) || 0));
const shortLabel = (label) => (label.length > 16 ? `${label.split(" ")[0]}` : label);
