/**
 * The Catalogue feed panel of the agent console, for admins: where the products come from.
 *
 * - The scheduled feed (`GET`/`PUT`/`DELETE /api/catalogue/feed`): its URL and "every N
 *   minutes/hours" (15 minutes to 7 days); saving it makes the server fetch it now and then
 *   at that interval; removing it (after a confirmation) keeps the products.
 * - "Import now" imports the URL in the field once (`POST /api/catalogue/imports {"url"}`),
 *   and "Upload and import" a feed file (multipart, with the upload's own progress;
 *   feed-upload.js).
 * - The import under way is followed about every second (`ImportWatch`): an indeterminate bar,
 *   the products read and each count so far, and its outcome once over.
 * - The last ten imports (`GET /api/catalogue/imports`) as a table, each row expandable to its
 *   per-product errors (feed-history.js).
 *
 * The server's refusals are shown in the panel, with its own message for a URL it does not
 * take. The pure parts are in feed-imports.js; the stylesheet, feed.css, is linked by the
 * panel itself.
 */

import {
  AdminPanel,
  adminPanel,
  clearLines,
  confirmStep,
  errorLine,
  showLine,
} from "./admin-panel.js";
import { importRows, liveContent } from "./feed-history.js";
import {
  DEFAULT_MINUTES,
  ImportWatch,
  MAX_URL,
  UNITS,
  countsLine,
  formatWhen,
  intervalMinutes,
  intervalText,
  refusalText,
  scheduleProblem,
  splitInterval,
  urlProblem,
} from "./feed-imports.js";
import { FeedUpload } from "./feed-upload.js";
import { h } from "../../shared/dom.js";
import { scheduleWithTimeout } from "../../shared/schedule.js";

const IMPORTS = "/api/catalogue/imports";
const FEED = "/api/catalogue/feed";
/** After a schedule is saved the server starts its first import on its next look (seconds
 * later): the list is fetched again this often, this many times, until that import shows. */
const SCHEDULED_LOOK_MS = 4000;
const SCHEDULED_LOOKS = 8;

let nextId = 0;
const uid = (name) => `cv-feed-${name}-${++nextId}`;

/** Link feed.css once (the console's CSP takes stylesheets from our origin). */
function linkStylesheet() {
  const href = new URL("./feed.css", import.meta.url).href;
  if (!document.querySelector(`link[href="${href}"]`))
    document.head.append(h("link", { rel: "stylesheet", href }));
}

export class FeedPanel extends AdminPanel {
  #feed = null;
  #imports = [];
  /** The imports as last drawn by `load`, to redraw only what changed. */
  #listed = null;
  #open = new Set();
  #edited = false;
  #schedule;
  #cancelLook = null;
  #watch;

  /**
   * @param {ConstructorParameters<typeof AdminPanel>[0]} options
   * @param {{schedule?: import("../../shared/schedule.js").Schedule}} [timing]
   */
  constructor(options, { schedule = scheduleWithTimeout } = {}) {
    super(options, { errorPrefix: "feed.error" });
    this.#schedule = schedule;
    this.#watch = new ImportWatch({
      get: (id) => this.api.get(`${IMPORTS}/${encodeURIComponent(id)}`),
      schedule,
      active: () => this.#visible(),
      handlers: {
        onUpdate: (record) => this.#showLive(record),
        onDone: (record) => this.#finished(record),
        onError: (error) => this.#liveError(error),
      },
    });
    linkStylesheet();
    this.#build();
  }

  /**
   * Fetch the schedule and the last imports (`GET /api/catalogue/imports`) and draw them; a
   * running import is shown live and followed. Resolves to the running import, or null.
   */
  async load() {
    const answer = await this.api.get(IMPORTS);
    this.#imports = answer.imports ?? [];
    this.#setFeed(answer.feed ?? null, !this.#edited);
    // Redrawn only when they changed: a look that finds nothing new keeps open errors and focus.
    const listed = JSON.stringify(this.#imports);
    if (listed !== this.#listed) this.#renderImports();
    this.#listed = listed;
    const running = this.#imports.find((record) => record.state === "running");
    if (running && this.#watch.id !== running.id) {
      this.#showLive(running);
      this.#watch.start(running.id);
    }
    return running ?? null;
  }

  #visible() {
    const dialog = this.root.closest("dialog");
    return this.root.isConnected && (dialog ? dialog.open : true);
  }

  #build() {
    const t = this.t;
    this.upload = new FeedUpload({
      t,
      send: (file, progress) => this.api.upload(IMPORTS, file, progress),
      handlers: {
        onSending: () => this.#clearMessages(),
        onProblem: (text, line, field) => this.#problem(text, line, field),
        onStarted: (record) => this.#started(record),
        onRefused: (error, line, field) => this.#refusedStart(error, line, field),
        onCancelled: () => this.showStatus(t("feed.upload_cancelled")),
      },
    });
    this.error = errorLine("feed-error");
    this.status = h("p", {
      class: "cv-admin-status",
      role: "status",
      "data-testid": "feed-status",
    });
    this.list = h("tbody", { role: "rowgroup", "data-testid": "feed-imports-body" });
    this.live = h("section", {
      class: "cv-feed-live",
      "data-testid": "feed-live",
      "aria-label": t("feed.live_label"),
      hidden: true,
    });
    this.liveNote = errorLine("feed-live-error");
    this.root = adminPanel(
      {
        name: "feed",
        className: "cv-feed",
        title: t("feed.title"),
        intro: t("feed.intro"),
        action: null,
      },
      this.error,
      this.status,
      this.#scheduleSection(),
      this.upload.element,
      this.live,
      this.liveNote,
      this.#historySection(),
    );
  }

  #scheduleSection() {
    const t = this.t;
    const titleId = uid("schedule-title");
    this.urlInput = h("input", {
      id: uid("url"),
      class: "cv-admin-input cv-feed-url-input",
      type: "url",
      inputmode: "url",
      placeholder: "https://shop.example/feed.xml",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: MAX_URL,
      "data-testid": "feed-url",
    });
    const urlHint = h("p", {
      id: uid("url-hint"),
      class: "cv-admin-hint",
      text: t("feed.url_hint"),
    });
    this.urlInput.setAttribute("aria-describedby", urlHint.id);
    this.amountInput = h("input", {
      id: uid("every"),
      class: "cv-admin-input cv-admin-number",
      type: "number",
      inputmode: "numeric",
      min: "1",
      step: "1",
      "data-testid": "feed-every",
    });
    this.unitSelect = h(
      "select",
      {
        id: uid("unit"),
        class: "cv-select cv-admin-input cv-feed-unit",
        "data-testid": "feed-every-unit",
      },
      ...UNITS.map((unit) => h("option", { value: unit, text: t(`feed.unit_${unit}`) })),
    );
    const everyHint = h("p", {
      id: uid("every-hint"),
      class: "cv-admin-hint",
      text: t("feed.every_hint"),
    });
    this.amountInput.setAttribute("aria-describedby", everyHint.id);
    this.formError = errorLine("feed-form-error");
    this.saveButton = h("button", {
      type: "submit",
      class: "cv-btn cv-btn--primary",
      "data-testid": "feed-save",
      text: t("feed.save"),
    });
    this.importButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "feed-import-now",
      text: t("feed.import_now"),
      on: { click: () => this.#importNow() },
    });
    this.removeButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "feed-remove",
      "aria-expanded": "false",
      text: t("feed.remove"),
      hidden: true,
      on: { click: () => this.#askRemove(!this.confirm.childElementCount) },
    });
    this.confirm = h("div", { class: "cv-feed-confirm" });
    this.summary = h("p", { class: "cv-feed-summary", "data-testid": "feed-schedule" });
    const changed = () => {
      this.#edited = true;
    };
    this.form = h(
      "form",
      {
        class: "cv-admin-form cv-feed-form",
        "data-testid": "feed-form",
        "aria-labelledby": titleId,
        novalidate: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#save();
          },
          input: changed,
          change: changed,
        },
      },
      h("h3", { id: titleId, class: "cv-feed-subtitle", text: t("feed.schedule_title") }),
      this.summary,
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: this.urlInput.id, text: t("feed.url") }),
        this.urlInput,
        urlHint,
      ),
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: this.amountInput.id, text: t("feed.every") }),
        h(
          "div",
          { class: "cv-feed-every" },
          this.amountInput,
          h("label", {
            class: "cv-visually-hidden",
            for: this.unitSelect.id,
            text: t("feed.every_unit"),
          }),
          this.unitSelect,
        ),
        everyHint,
      ),
      this.formError,
      h(
        "div",
        { class: "cv-row cv-feed-actions" },
        this.saveButton,
        this.importButton,
        this.removeButton,
      ),
      this.confirm,
    );
    return this.form;
  }

  #historySection() {
    const t = this.t;
    const titleId = uid("history-title");
    const head = ["when", "source", "duration", "counts", "state"].map((name) =>
      h("th", { role: "columnheader", scope: "col", text: t(`feed.col_${name}`) }),
    );
    return h(
      "section",
      { class: "cv-feed-history", "aria-labelledby": titleId },
      h("h3", { id: titleId, class: "cv-feed-subtitle", text: t("feed.history_title") }),
      h(
        "table",
        {
          role: "table",
          class: "cv-feed-table",
          "data-testid": "feed-imports",
          "aria-labelledby": titleId,
        },
        h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, ...head)),
        this.list,
      ),
    );
  }

  /** The saved schedule (or none): the summary line, the Remove button, and the form's fields
   * when `fill`. */
  #setFeed(feed, fill) {
    const t = this.t;
    this.#feed = feed;
    this.summary.textContent = feed
      ? t("feed.schedule_on", {
          every: intervalText(t, feed.every_minutes),
          next: formatWhen(t, feed.next_at),
        })
      : t("feed.schedule_off");
    this.removeButton.hidden = !feed;
    if (!feed) this.#askRemove(false, false);
    if (!fill) return;
    const { amount, unit } = splitInterval(feed?.every_minutes ?? DEFAULT_MINUTES);
    this.urlInput.value = feed?.url ?? this.urlInput.value;
    this.amountInput.value = String(amount);
    this.unitSelect.value = unit;
    this.#edited = false;
  }

  #clearMessages() {
    clearLines(this.error, this.formError, this.upload.error);
    this.status.textContent = "";
  }

  /** A form's problem: its error line, read out, and focus on the field to fix. */
  #problem(text, line, field) {
    this.showError(text, line);
    field?.focus();
  }

  async #save() {
    const t = this.t;
    this.#clearMessages();
    const fields = {
      url: this.urlInput.value.trim(),
      amount: this.amountInput.value,
      unit: this.unitSelect.value,
    };
    const problem = scheduleProblem(fields);
    if (problem) {
      const field = problem === "feed.every_invalid" ? this.amountInput : this.urlInput;
      this.#problem(t(problem), this.formError, field);
      return;
    }
    this.saveButton.disabled = true;
    try {
      const answer = await this.api.put(FEED, {
        url: fields.url,
        every_minutes: intervalMinutes(fields.amount, fields.unit),
      });
      this.#setFeed(answer.feed, true);
      this.showStatus(t("feed.saved", { every: intervalText(t, answer.feed.every_minutes) }));
      this.#lookForScheduled(Date.now(), SCHEDULED_LOOKS);
    } catch (error) {
      this.#problem(refusalText(t, error, "feed.error"), this.formError, this.urlInput);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  /** The schedule's first import starts on the server's next look: list again until it shows. */
  #lookForScheduled(since, looks) {
    this.#cancelLook?.();
    this.#cancelLook = null;
    if (looks <= 0) return;
    this.#cancelLook = this.#schedule(async () => {
      this.#cancelLook = null;
      if (!this.#visible() || this.#watch.id) return;
      try {
        await this.load();
      } catch {
        // A failed look is only a missed refresh; opening the panel again lists the imports.
      }
      const started = this.#imports.some((record) => record.started_at >= since - 1000);
      if (!started && !this.#watch.id) this.#lookForScheduled(since, looks - 1);
    }, SCHEDULED_LOOK_MS);
  }

  #askRemove(open, focus = true) {
    const t = this.t;
    this.removeButton.setAttribute("aria-expanded", String(open));
    if (!open) {
      this.confirm.replaceChildren();
      if (focus && !this.removeButton.hidden) this.removeButton.focus();
      return;
    }
    this.#clearMessages();
    this.confirm.replaceChildren(
      confirmStep({
        label: t("feed.remove"),
        question: t("feed.remove_confirm", { url: this.#feed?.url ?? "" }),
        confirm: {
          testid: "feed-remove-confirm",
          text: t("feed.remove_submit"),
          onClick: (event) => this.#remove(event.currentTarget),
        },
        cancel: { testid: "feed-remove-cancel", text: t("feed.cancel") },
        onCancel: () => this.#askRemove(false),
        containEscape: true,
      }),
    );
    this.confirm.querySelector("[data-testid=feed-remove-confirm]").focus();
  }

  async #remove(button) {
    button.disabled = true;
    try {
      await this.api.delete(FEED);
      this.#setFeed(null, false);
      this.showStatus(this.t("feed.removed"));
      this.urlInput.focus();
    } catch (error) {
      this.#askRemove(false);
      this.#problem(refusalText(this.t, error, "feed.error"), this.formError, this.removeButton);
    }
  }

  async #importNow() {
    const t = this.t;
    this.#clearMessages();
    const url = this.urlInput.value.trim();
    const problem = urlProblem(url);
    if (problem) {
      this.#problem(t(problem), this.formError, this.urlInput);
      return;
    }
    this.importButton.disabled = true;
    try {
      this.#started(await this.api.post(IMPORTS, { url }));
    } catch (error) {
      await this.#refusedStart(error, this.formError, this.urlInput);
    } finally {
      this.importButton.disabled = false;
    }
  }

  /** An import the server took (202): shown live, at the top of the table, and followed. */
  #started(record) {
    this.showStatus(this.t("feed.started"));
    this.#imports = [record, ...this.#imports.filter((r) => r.id !== record.id)].slice(0, 10);
    this.#renderImports();
    this.#showLive(record);
    this.live.scrollIntoView({ block: "nearest" });
    this.#watch.start(record.id);
  }

  /** A refused start: a running import (409) is shown instead, anything else explained. */
  async #refusedStart(error, line, field) {
    const t = this.t;
    if (error?.code === "conflict") {
      this.showError(t("feed.error.conflict"), line);
      try {
        await this.load();
      } catch {
        // The conflict is said already; the list comes back with the next opening.
      }
      return;
    }
    this.#problem(refusalText(t, error, "feed.error"), line, field);
  }

  #showLive(record) {
    this.live.hidden = false;
    this.live.dataset.state = record.state;
    this.live.dataset.importId = record.id;
    this.live.setAttribute("aria-busy", String(record.state === "running"));
    this.live.replaceChildren(...liveContent(this.t, record));
    this.liveNote.hidden = true;
  }

  #liveError(error) {
    showLine(this.liveNote, refusalText(this.t, error, "feed.error"));
  }

  /** The watched import is over: say how it went, and list the imports again. */
  async #finished(record) {
    const t = this.t;
    this.#showLive(record);
    this.showStatus(
      t(record.state === "failed" ? "feed.finished_failed" : "feed.finished_done", {
        counts: countsLine(t, record),
      }),
    );
    this.#imports = this.#imports.map((r) => (r.id === record.id ? record : r));
    this.#renderImports();
    try {
      await this.load();
    } catch (error) {
      this.showError(refusalText(t, error, "feed.error"));
    }
  }

  #renderImports(focusId = null) {
    this.list.replaceChildren(
      ...importRows(this.t, this.#imports, { open: this.#open, onToggle: (r) => this.#toggle(r) }),
    );
    if (focusId) {
      const row = this.list.querySelector(`[data-import-id="${CSS.escape(focusId)}"]`);
      row?.querySelector("[data-testid=feed-import-errors-toggle]")?.focus();
    }
  }

  #toggle(record) {
    if (this.#open.has(record.id)) this.#open.delete(record.id);
    else this.#open.add(record.id);
    this.#renderImports(record.id);
  }
}
