// History (R-API-1): the learner's conversations, newest first; open and continue, rename,
// delete one, delete all (each deletion confirmed). Conversations still in the outbox are shown
// too, marked as not yet saved.
import { ApiError } from "./api.js";
import * as conversations from "./conversations.js";
import { announce, h, replaceChildren, shortTime } from "./dom.js";

const $ = (id) => document.getElementById(id);
let cursor = null;

export function init() {
  $("history-more").addEventListener("click", () => load(true));
  $("delete-all").addEventListener("click", async () => {
    if (!(await confirmDialog("Delete all your conversations? This cannot be undone.", "Delete all"))) return;
    try {
      const answer = await conversations.removeAll();
      announce(`Deleted ${answer.deleted ?? "all"} conversation${answer.deleted === 1 ? "" : "s"}.`);
    } catch (error) {
      announce(errorText(error), "error");
    }
    load(false);
  });
  conversations.onOutboxChange(() => { if (!$("view-history").hidden) load(false); });
}

export function show() {
  load(false);
}

const errorText = (error) => (error instanceof ApiError ? error.message : "Something went wrong. Try again.");

/** A modal question answered by the Delete (true) or Cancel (false) button. */
export function confirmDialog(text, confirmLabel = "Delete") {
  const dialog = $("confirm-dialog");
  $("confirm-dialog-text").textContent = text;
  dialog.querySelector("button[value=confirm]").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

async function load(more) {
  const list = $("history-list");
  list.setAttribute("aria-busy", "true");
  const queued = more ? [] : conversations.pending();
  const queuedRows = queued.map((item) => row({
    ...item, message_count: item.conversation.length, updated_at: item.queuedAt,
    preview: item.conversation.at(-1)?.content || "",
  }, true));
  try {
    const page = await conversations.list(more ? cursor : null);
    cursor = page.next_cursor || null;
    const queuedIds = new Set(queued.map((item) => item.id));
    const rows = [...queuedRows, ...page.items.filter((item) => !queuedIds.has(item.id)).map((item) => row(item, false))];
    if (more) list.append(...rows);
    else replaceChildren(list, rows.length ? rows : h("li", { class: "empty" }, "No conversations yet. ", h("a", { href: "#/chat/new" }, "Start one.")));
    $("history-more").hidden = !cursor;
    $("delete-all").disabled = rows.length === 0 && !more;
  } catch (error) {
    // What waits in the outbox is still shown: nothing the learner wrote disappears.
    replaceChildren(list, h("li", { class: "empty error", role: "alert" }, errorText(error)), queuedRows);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function row(item, queued) {
  const title = h("a", { href: `#/chat/${item.id}`, class: "title" }, item.title);
  const li = h("li", { class: "history-item", "data-id": item.id },
    h("div", { class: "history-main" }, title,
      queued ? h("span", { class: "badge warning" }, "Not saved yet — will retry") : null,
      h("p", { class: "preview" }, item.preview || ""),
      h("p", { class: "meta" }, `${item.message_count} message${item.message_count === 1 ? "" : "s"} · ${shortTime(item.updated_at)}`)),
    h("div", { class: "history-actions" },
      h("button", { type: "button", onclick: () => startRename(li, item), "aria-label": `Rename “${item.title}”` }, "Rename"),
      h("button", { type: "button", class: "danger", onclick: () => remove(item), "aria-label": `Delete “${item.title}”` }, "Delete")));
  return li;
}

function startRename(li, item) {
  const input = h("input", { value: item.title, maxlength: 200, required: true, "aria-label": "New title" });
  const form = h("form", { class: "rename" }, input,
    h("button", { type: "submit", class: "primary" }, "Save"),
    h("button", { type: "button", onclick: () => load(false) }, "Cancel"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = input.value.trim();
    if (!title) {
      announce("A title cannot be empty.", "error");
      return;
    }
    try {
      await conversations.rename(item.id, title);
      announce("Renamed.");
    } catch (error) {
      announce(errorText(error), "error");
    }
    load(false);
  });
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") load(false); });
  li.querySelector(".history-main").replaceWith(form);
  input.focus();
  input.select();
}

async function remove(item) {
  if (!(await confirmDialog(`Delete “${item.title}”? This cannot be undone.`))) return;
  try {
    await conversations.remove(item.id);
    announce("Deleted.");
  } catch (error) {
    announce(errorText(error), "error");
  }
  load(false);
}
