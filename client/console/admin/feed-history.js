/**
 * The Catalogue feed panel's DOM pieces that only draw an import (feed.js owns the state): the
 * live view of the import being watched (an indeterminate bar, since a streamed feed's length
 * is unknown, the products read so far and each count) and the table of the last imports, each
 * row expandable to its per-product errors. Cells carry their column's name (`data-label`), so
 * below 600 px feed.css stacks a row into a labelled card; the ARIA roles keep it a table for
 * screen readers whatever the CSS `display`.
 */

import { h } from "../../shared/dom.js";
import {
  COUNTS,
  countsLine,
  errorsNote,
  formatCount,
  formatElapsed,
  formatWhen,
} from "./feed-imports.js";

const TONES = { running: "wait", done: "ok", failed: "bad" };

/** The state of an import as a tag: "Running", "Done", "Failed". */
export function stateTag(t, record, testid = "feed-import-state") {
  return h("span", {
    class: `cv-feed-state cv-feed-state--${TONES[record.state] ?? "wait"}`,
    "data-testid": testid,
    text: t(`feed.state_${TONES[record.state] ? record.state : "running"}`),
  });
}

/** Where an import read its feed: "Feed URL" with the URL, or "Uploaded file". */
function sourceCell(t, record) {
  if (record.source !== "url") return [h("span", { text: t("feed.source_file") })];
  return [
    h("span", { text: t("feed.source_url") }),
    h("span", { class: "cv-feed-url", "data-testid": "feed-import-url", text: record.url ?? "" }),
  ];
}

/**
 * The live view's content for `record`: its title, the bar while it runs, the products read
 * (and how long it took, once over), a definition list of the counts, and its reason.
 */
export function liveContent(t, record) {
  const running = record.state === "running";
  const processed = formatCount(t, record.processed);
  const title = running
    ? t(record.source === "url" ? "feed.live_url" : "feed.live_file")
    : t(record.state === "failed" ? "feed.live_failed" : "feed.live_done");
  const parts = [
    h(
      "div",
      { class: "cv-feed-live-head" },
      h("h3", { class: "cv-feed-subtitle", "data-testid": "feed-live-title", text: title }),
      stateTag(t, record, "feed-live-state"),
    ),
    record.source === "url" && record.url
      ? h("p", { class: "cv-feed-url", "data-testid": "feed-live-url", text: record.url })
      : null,
    running
      ? h("progress", {
          class: "cv-feed-bar",
          "data-testid": "feed-live-progress",
          "aria-label": t("feed.live_progress"),
        })
      : null,
    h("p", {
      class: "cv-feed-processed",
      "data-testid": "feed-live-processed",
      text: running
        ? t("feed.live_processed", { n: processed })
        : t("feed.live_processed_in", {
            n: processed,
            duration: formatElapsed(t, record.duration_ms),
          }),
    }),
    h(
      "dl",
      { class: "cv-feed-counts", "data-testid": "feed-live-counts" },
      ...COUNTS.map((name) =>
        h(
          "div",
          { class: `cv-feed-count cv-feed-count--${name}` },
          h("dt", { text: t(`feed.count_${name}`) }),
          h("dd", { "data-testid": `feed-live-${name}`, text: formatCount(t, record[name]) }),
        ),
      ),
    ),
    record.reason
      ? h("p", { class: "cv-feed-reason", "data-testid": "feed-live-reason", text: record.reason })
      : null,
  ];
  return parts.filter(Boolean);
}

let nextId = 0;

/**
 * The last imports as table rows (newest first): when, source, duration, counts, state (with
 * the reason of a failure or a note) and, for one with per-product errors, a toggle
 * (`aria-expanded`) that shows them in the row below. `open` holds the ids shown expanded;
 * `onToggle(record)` is called by a toggle.
 */
export function importRows(t, imports, { open, onToggle, now = Date.now() }) {
  if (!imports.length)
    return [
      h(
        "tr",
        { role: "row", class: "cv-feed-empty" },
        h("td", { role: "cell", colspan: "5", text: t("feed.no_imports") }),
      ),
    ];
  return imports.flatMap((record) => {
    const expanded = open.has(record.id);
    const errors = record.errors ?? [];
    const detailsId = `cv-feed-errors-${++nextId}`;
    const label = (key) => ({ role: "cell", "data-label": t(key) });
    const row = h(
      "tr",
      {
        role: "row",
        class: "cv-feed-import",
        "data-testid": "feed-import",
        dataset: { importId: record.id, state: record.state },
      },
      h(
        "th",
        { role: "rowheader", scope: "row", "data-label": t("feed.col_when") },
        formatWhen(t, record.started_at, now),
      ),
      h("td", label("feed.col_source"), ...sourceCell(t, record)),
      h("td", {
        ...label("feed.col_duration"),
        class: "cv-feed-num",
        "data-testid": "feed-import-duration",
        text: record.state === "running" ? "–" : formatElapsed(t, record.duration_ms),
      }),
      h("td", {
        ...label("feed.col_counts"),
        "data-testid": "feed-import-counts",
        text: countsLine(t, record),
      }),
      h(
        "td",
        label("feed.col_state"),
        h(
          "div",
          { class: "cv-feed-state-cell" },
          stateTag(t, record),
          record.reason
            ? h("span", {
                class: "cv-feed-reason",
                "data-testid": "feed-import-reason",
                text: record.reason,
              })
            : null,
          errors.length
            ? h("button", {
                type: "button",
                class: "cv-btn cv-feed-toggle",
                "data-testid": "feed-import-errors-toggle",
                "aria-expanded": String(expanded),
                "aria-controls": expanded ? detailsId : null,
                text: t(expanded ? "feed.errors_hide" : "feed.errors_show", {
                  n: formatCount(t, errors.length),
                }),
                on: { click: () => onToggle(record) },
              })
            : null,
        ),
      ),
    );
    if (!expanded || !errors.length) return [row];
    return [row, errorsRow(t, record, detailsId)];
  });
}

/** The row under an import with its per-product errors: product id and reason. */
function errorsRow(t, record, id) {
  return h(
    "tr",
    { role: "row", class: "cv-feed-errors-row" },
    h(
      "td",
      { role: "cell", colspan: "5" },
      h(
        "div",
        { id, class: "cv-feed-errors", "data-testid": "feed-import-errors" },
        h("p", {
          class: "cv-admin-hint",
          "data-testid": "feed-errors-note",
          text: errorsNote(t, record),
        }),
        h(
          "ul",
          // Focusable: the list scrolls past 320 px, and the keyboard scrolls it.
          { class: "cv-feed-error-list", tabindex: "0", "aria-label": t("feed.errors_label") },
          ...record.errors.map((error) =>
            h(
              "li",
              { class: "cv-feed-error", "data-testid": "feed-import-error" },
              h("span", {
                class: "cv-feed-error-id",
                "data-testid": "feed-error-id",
                text: error.id || t("feed.no_id"),
              }),
              h("span", {
                class: "cv-feed-error-reason",
                "data-testid": "feed-error-reason",
                text: error.reason,
              }),
            ),
          ),
        ),
      ),
    ),
  );
}
