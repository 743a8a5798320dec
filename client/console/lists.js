/**
 * The agent console's lists, drawn from plain data: the waiting queue, the agent's own
 * conversations, the product catalogue and the shopper's uploads. Each function returns list
 * items; the console owns the data and the actions (passed in as callbacks).
 */

import { serverUrl } from "../shared/api.js";
import { h, icon } from "../shared/dom.js";
import { formatDuration, formatTime } from "../shared/i18n.js";
import { uploadCard, uploadSources, viewerMediaForUpload } from "../shared/upload-card.js";
import { shopperName, tagDot } from "./shopper-tag.js";

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

/** Minutes from `since` to `now` (ms), as "just now", "5 min" or "2 h 10 min". */
export function waitedLabel(t, since, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - since) / 60000));
  if (minutes < 1) return t("agent.just_now");
  if (minutes < 60) return t("agent.minutes", { count: minutes });
  return t("agent.hours_minutes", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

/**
 * What an agent sees of who the shopper is, in one line: verified or not (only when the shop
 * said anything), device class and language. `visitor` as in a summary (PROTOCOL.md).
 */
export function visitorBadges(t, visitor) {
  if (!visitor) return null;
  const parts = [];
  if (visitor.verified) {
    parts.push(
      h(
        "span",
        { class: "cv-tag cv-tag--verified", "data-testid": "visitor-verified" },
        icon("verified"),
        t("agent.verified"),
      ),
    );
  } else if (visitor.email || visitor.name) {
    parts.push(
      h("span", {
        class: "cv-tag",
        "data-testid": "visitor-unverified",
        text: t("agent.unverified"),
      }),
    );
  }
  if (visitor.device) {
    parts.push(
      h("span", {
        class: "cv-tag",
        "data-testid": "visitor-device",
        text: t(`agent.device.${visitor.device}`),
      }),
    );
  }
  if (visitor.language) {
    parts.push(
      h("span", { class: "cv-tag", "data-testid": "visitor-language", text: visitor.language }),
    );
  }
  return parts.length ? h("span", { class: "cv-tags" }, ...parts) : null;
}

/** The last message of a summary as a preview line: "You: …" for the agent's own. */
export function lastMessageLine(t, message, selfId) {
  if (!message?.text) return null;
  const mine = message.author?.id === selfId;
  return h("span", {
    class: "cv-list-preview",
    "data-testid": "last-message",
    text: mine ? t("agent.you_wrote", { text: message.text }) : message.text,
  });
}

/** Waiting conversations, oldest first, each with an Accept button. */
export function queueItems(conversations, { t, onAccept, selfId = null, now = Date.now() }) {
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
          h(
            "span",
            { class: "cv-list-head" },
            tagDot(summary.id),
            h("strong", {
              "data-testid": "shopper-name",
              text: shopperName(t, summary.name, summary.id),
            }),
            visitorBadges(t, summary.visitor),
          ),
          lastMessageLine(t, summary.last_message, selfId),
          h(
            "span",
            { class: "cv-list-sub" },
            summary.created_at
              ? h("span", {
                  "data-testid": "queue-waited",
                  title: t("agent.waiting_since", { time: formatTime(t, summary.created_at) }),
                  text: t("agent.waiting_for", { time: waitedLabel(t, summary.created_at, now) }),
                })
              : null,
            pageLabel(summary.page) ? ` · ${pageLabel(summary.page)}` : "",
          ),
        ),
        h("button", {
          type: "button",
          class: "cv-btn cv-btn--primary",
          "data-testid": "queue-accept",
          "aria-label": t("agent.accept_label", { name: shopperName(t, summary.name, summary.id) }),
          text: t("agent.accept"),
          on: { click: (event) => onAccept(summary.id, event.currentTarget) },
        }),
      ),
    );
}

/**
 * The agent's conversations. `entries`: `{id, name, page, status, unread, online, visitor?,
 * lastMessage?}`.
 */
export function activeItems(entries, selectedId, { t, onSelect, selfId = null }) {
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
          h(
            "span",
            { class: "cv-list-head" },
            tagDot(entry.id),
            h("strong", {
              "data-testid": "shopper-name",
              text: shopperName(t, entry.name, entry.id),
            }),
            visitorBadges(t, entry.visitor),
          ),
          lastMessageLine(t, entry.lastMessage, selfId),
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
 * The same customer's earlier conversations (`…/earlier`): when, how it ended, its last line;
 * a closed one is a button that opens it read-only (`onOpen(id)`).
 */
export function earlierItems(conversations, { t, selfId = null, onOpen = null }) {
  if (conversations.length === 0) {
    return [h("li", { class: "cv-list-empty", text: t("agent.earlier_empty") })];
  }
  const day = new Intl.DateTimeFormat(t.lang, { dateStyle: "medium" });
  return conversations.map((summary) => {
    const closed = summary.status === "closed" && onOpen;
    return h(
      "li",
      { class: "cv-list-item", "data-testid": "earlier-item" },
      h(
        closed ? "button" : "div",
        closed
          ? { type: "button", class: "cv-list-open", on: { click: () => onOpen(summary.id) } }
          : { class: "cv-list-text" },
        h(
          "span",
          { class: "cv-list-text" },
          h("strong", {
            text: t("agent.earlier_item", {
              date: day.format(new Date(summary.created_at)),
              status: t(`agent.status_of.${summary.status}`),
            }),
          }),
          lastMessageLine(t, summary.last_message, selfId),
        ),
      ),
    );
  });
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

/** Blur score (PROTOCOL.md `blur_score`) from which a photo counts as sharp (under 30: blurry). */
export const SHARP_FROM = 100;

/**
 * A plain-language quality verdict for a processed photo: "blurry" (the server's `blurry`),
 * "soft" (usable, not crisp) or "sharp"; null for videos and photos without a score.
 */
export function photoQuality(media) {
  if (!Number.isFinite(media?.blur_score)) return null;
  if (media.blurry) return "blurry";
  return media.blur_score >= SHARP_FROM ? "sharp" : "soft";
}

/** Bytes in words: "830 KB", "4.2 MB" (decimal units, as file managers show them). */
export function formatBytes(bytes, lang = "en") {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit > 0 && value < 10 ? 1 : 0;
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
  return `${number} ${units[unit]}`;
}

/**
 * The facts line of an upload for the agent: file name, time, its size in bytes (when the
 * server says), its pixels and a video's length.
 */
export function uploadFacts(item, t) {
  const media = item.media ?? {};
  const parts = [];
  const name = media.name ?? item.name;
  if (name) parts.push(name);
  if (item.at > 0) parts.push(formatTime(t, item.at));
  if (Number.isFinite(media.bytes)) parts.push(formatBytes(media.bytes, t.lang));
  if (media.width > 0 && media.height > 0) parts.push(`${media.width} × ${media.height}`);
  if (media.kind === "video" && Number.isFinite(media.duration))
    parts.push(formatDuration(media.duration));
  return parts.join(" · ");
}

function qualityLine(t, media) {
  const quality = photoQuality(media);
  if (!quality) return null;
  return h("span", {
    class: `cv-blur cv-blur--${quality}`,
    "data-testid": "upload-blur-score",
    dataset: { quality },
    title: t("agent.quality_score", { score: media.blur_score.toFixed(1) }),
    text: t(`agent.quality.${quality}`),
  });
}

/**
 * An upload card with the agent's actions: the facts (name, time, size), a quality hint,
 * "enlarge" (a private lightbox, the shopper's screen does not change), "download original"
 * and "show in viewer".
 * @param {object} item upload item from `ConversationState`
 * @param {object} options `{t, origin, onShow(shown), onEnlarge(item), onOriginal(item)}`
 */
export function agentUploadCard(item, { t, origin, onShow, onEnlarge, onOriginal }) {
  const ready = item.status === "ready";
  const shown = ready ? viewerMediaForUpload(item) : null;
  const facts = uploadFacts(item, t);
  const details = [];
  if (facts) {
    details.push(
      h("span", { class: "cv-upload-facts", "data-testid": "upload-facts", text: facts }),
    );
  }
  const quality = ready ? qualityLine(t, item.media) : null;
  if (quality) details.push(quality);
  const actions = [];
  const button = (testid, label, iconName, onClick) =>
    h(
      "button",
      { type: "button", class: "cv-btn", "data-testid": testid, on: { click: onClick } },
      iconName ? icon(iconName) : null,
      label,
    );
  if (shown) {
    actions.push(button("upload-show", t("agent.show_in_viewer"), null, () => onShow(shown)));
  }
  if (ready && onEnlarge && uploadSources(item.media).display) {
    actions.push(button("upload-enlarge", t("agent.enlarge"), "zoom-in", () => onEnlarge(item)));
  }
  if (ready && onOriginal && item.mediaId) {
    actions.push(
      button("upload-original", t("agent.download_original"), "download", () => onOriginal(item)),
    );
  }
  return uploadCard(item, { t, origin, mine: false, details, actions });
}
