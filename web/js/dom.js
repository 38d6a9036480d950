// Small DOM helpers: elements are built with textContent, never innerHTML, so text from the
// learner, the model or the server can never become markup.

/** `h("button", {class: "primary", onclick}, "Send")` → an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElementNS(
    SVG_TAGS.has(tag) ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG_TAGS = new Set(["svg", "g", "path", "line", "polyline", "polygon", "circle", "text", "title", "rect"]);

/** Replaces every child of `element`. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** A short, human time: "14:05" today, "3 Nov" otherwise. */
export function shortTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { day: "numeric", month: "short" });
}

/** Announces `text` to screen readers and shows it in the status bar. */
export function announce(text, kind = "info") {
  const bar = document.getElementById("status-bar");
  if (!bar) return;
  bar.dataset.kind = kind;
  bar.textContent = text;
  bar.hidden = !text;
}
