/**
 * The agent console's lists, drawn from plain data: the waiting queue, the agent's own
 * conversations, the product catalogue and the shopper's uploads. Each function returns list
 * items; the console owns the data and the actions (passed in as callbacks).
 */

import { serverUrl } from "./api.js";
import { h, icon } from "./dom.js";
import { formatTime } from "./i18n.js";
import { uploadCard, viewerMediaForUpload } from "./upload-card.js";

/** A page title (or its url) from a conversation summary, for one line of text. */
export function pageLabel(page) {
  return page?.title || page?.url || "";
}

/** The page url if it is a web address (never `javascript:` or other schemes), else null. */
export function safePageUrl(page) {
  try {
    const url = new URL(page?.url ?? "");
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Waiting conversations, oldest first, each with an Accept button. */
export function queueItems(conversations, { t, onAccept }) {
  if (conversations.length === 0) {
    return [h("li", { class: "cv-list-empty", text: t("agent.queue_empty") })];
  }
  return [...conversations]
    .sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0))
    .map((summary) =>
      h(
        "li",
        {
          class: "cv-list-item",
          "data-testid": "queue-item",
          dataset: { conversationId: summary.id },
        },
        h(
          "div",
          { class: "cv-list-text" },
          h("strong", { text: summary.name || t("agent.shopper") }),
          h("span", { class: "cv-list-sub", text: pageLabel(summary.page) }),
          summary.created_at
            ? h("span", {
                class: "cv-list-sub",
                text: t("agent.waiting_since", { time: formatTime(t, summary.created_at) }),
              })
            : null,
        ),
        h("button", {
          type: "button",
          class: "cv-btn cv-btn--primary",
          "data-testid": "queue-accept",
          "aria-label": t("agent.accept_label", { name: summary.name || t("agent.shopper") }),
          text: t("agent.accept"),
          on: { click: (event) => onAccept(summary.id, event.currentTarget) },
        }),
      ),
    );
}

/**
 * The agent's conversations. `entries`: `{id, name, page, status, unread, online}`.
 */
export function activeItems(entries, selectedId, { t, onSelect }) {
  if (entries.length === 0) {
    return [h("li", { class: "cv-list-empty", text: t("agent.active_empty") })];
  }
  return entries.map((entry) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: `cv-conv-button${entry.status === "closed" ? " cv-conv-button--closed" : ""}`,
          "data-testid": "active-conversation",
          "aria-current": entry.id === selectedId ? "true" : undefined,
          dataset: { conversationId: entry.id, status: entry.status },
          on: { click: () => onSelect(entry.id) },
        },
        h("span", {
          class: `cv-presence${entry.online ? " cv-presence--on" : ""}`,
          role: "img",
          "aria-label": t(entry.online ? "agent.presence_on" : "agent.presence_off"),
        }),
        h(
          "span",
          { class: "cv-list-text" },
          h("strong", { text: entry.name || t("agent.shopper") }),
          h("span", {
            class: "cv-list-sub",
            text: entry.status === "closed" ? t("agent.closed") : pageLabel(entry.page),
          }),
        ),
        entry.unread > 0
          ? h("span", {
              class: "cv-badge",
              "data-testid": "unread-badge",
              "aria-label": t("agent.unread", { count: entry.unread }),
              text: String(entry.unread),
            })
          : null,
      ),
    ),
  );
}

/**
 * The `viewer.show` payload for a catalogue item: its id (`GET /api/catalogue`'s `id`); the
 * server shows its default file (display image or video).
 */
export function viewerMediaForCatalogue(item) {
  return { media_id: String(item.id) };
}

/** Catalogue products as buttons that put them in the viewer. */
export function catalogueItems(items, { t, origin, onShow, disabled }) {
  if (items.length === 0)
    return [h("li", { class: "cv-list-empty", text: t("agent.catalogue_empty") })];
  return items.map((item) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "cv-tile",
          "data-testid": "catalogue-item",
          dataset: { itemId: String(item.id), kind: item.kind },
          disabled,
          "aria-label": t("agent.show_item", { title: item.title }),
          on: { click: () => onShow(viewerMediaForCatalogue(item)) },
        },
        item.thumb || item.poster
          ? h("img", {
              src: serverUrl(origin, item.thumb || item.poster),
              alt: "",
              loading: "lazy",
            })
          : h("span", { class: "cv-tile-empty" }, icon(item.kind === "video" ? "play" : "image")),
        item.kind === "video" ? h("span", { class: "cv-tile-kind" }, icon("play")) : null,
        h("span", { class: "cv-tile-title", text: item.title }),
      ),
    ),
  );
}

/** Blur score and verdict of a processed photo, for the agent. */
function blurLine(t, media) {
  if (!Number.isFinite(media?.blur_score)) return null;
  const score = media.blur_score.toFixed(1);
  return h("span", {
    class: `cv-blur${media.blurry ? " cv-blur--bad" : ""}`,
    "data-testid": "upload-blur-score",
    text: t(media.blurry ? "agent.blur_bad" : "agent.blur_ok", { score }),
  });
}

/** An upload card with the agent's actions: "show in viewer" and the blur score. */
export function agentUploadCard(item, { t, origin, onShow }) {
  const shown = item.status === "ready" ? viewerMediaForUpload(item) : null;
  const actions = [];
  const blur = item.status === "ready" ? blurLine(t, item.media) : null;
  if (blur) actions.push(blur);
  if (shown) {
    actions.push(
      h("button", {
        type: "button",
        class: "cv-btn",
        "data-testid": "upload-show",
        text: t("agent.show_in_viewer"),
        on: { click: () => onShow(shown) },
      }),
    );
  }
  return uploadCard(item, { t, origin, mine: false, actions });
}
