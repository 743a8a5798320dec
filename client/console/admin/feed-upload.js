/**
 * The Catalogue feed panel's "Upload a feed file" form (feed.js owns what happens next): a
 * button of ours that opens the browser's file chooser, the chosen file's name, and "Upload and
 * import", which sends the file with the upload's own progress (a determinate bar, a
 * percentage and Cancel). The browser's file field speaks the browser's language, not the
 * console's, so it stays hidden.
 */

import { clearLines, errorLine } from "./admin-panel.js";
import { h } from "../../shared/dom.js";

/** What the file chooser offers: the forms a Google product feed comes in. */
export const FEED_FILES =
  ".xml,.rss,.atom,.tsv,.csv,.txt,.gz,application/xml,text/xml,text/csv," +
  "text/tab-separated-values,application/gzip";

let nextId = 0;
const uid = (name) => `cv-feed-upload-${name}-${++nextId}`;

export class FeedUpload {
  #t;
  #send;
  #handlers;
  #sending = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {(file: File, onProgress: (fraction: number) => void) =>
   *   {promise: Promise<object>, abort: () => void}} options.send `Api.upload` to the imports
   * @param {object} options.handlers `onSending()` before a file goes; `onProblem(text, line,
   *   field)` for no file chosen; `onStarted(record)` with the server's 202; `onRefused(error,
   *   line, field)` for any other failure; `onCancelled()` after Cancel
   */
  constructor({ t, send, handlers }) {
    this.#t = t;
    this.#send = send;
    this.#handlers = handlers;
    this.element = this.#build();
  }

  #build() {
    const t = this.#t;
    const titleId = uid("title");
    const labelId = uid("label");
    const hint = h("p", { id: uid("hint"), class: "cv-admin-hint", text: t("feed.file_hint") });
    this.fileName = h("span", {
      id: uid("name"),
      class: "cv-feed-file-name",
      "data-testid": "feed-file-name",
      text: t("feed.no_file"),
    });
    this.input = h("input", {
      type: "file",
      accept: FEED_FILES,
      hidden: true,
      tabindex: "-1",
      "data-testid": "feed-file",
      on: { change: () => this.#chosen() },
    });
    this.choose = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "feed-choose",
      "aria-describedby": `${labelId} ${this.fileName.id} ${hint.id}`,
      text: t("feed.choose_file"),
      on: { click: () => this.input.click() },
    });
    this.submit = h("button", {
      type: "submit",
      class: "cv-btn cv-btn--primary",
      "data-testid": "feed-upload",
      text: t("feed.upload"),
    });
    this.bar = h("progress", {
      class: "cv-feed-bar",
      max: "1",
      value: "0",
      "data-testid": "feed-upload-progress",
      "aria-label": t("feed.upload_progress"),
    });
    this.text = h("span", { class: "cv-feed-upload-text", "data-testid": "feed-upload-text" });
    this.box = h(
      "div",
      { class: "cv-feed-upload-box", hidden: true },
      this.bar,
      h(
        "div",
        { class: "cv-row cv-feed-upload-row" },
        this.text,
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "feed-upload-cancel",
          text: t("feed.upload_cancel"),
          on: { click: () => this.#sending?.abort() },
        }),
      ),
    );
    /** The form's error line. */
    this.error = errorLine("feed-upload-error");
    return h(
      "form",
      {
        class: "cv-admin-form cv-feed-form",
        "data-testid": "feed-upload-form",
        "aria-labelledby": titleId,
        novalidate: true,
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#upload();
          },
        },
      },
      h("h3", { id: titleId, class: "cv-feed-subtitle", text: t("feed.upload_title") }),
      h(
        "div",
        { class: "cv-admin-field", role: "group", "aria-labelledby": labelId },
        h("span", { id: labelId, class: "cv-feed-label", text: t("feed.file") }),
        h("div", { class: "cv-feed-picker" }, this.choose, this.fileName, this.input),
        hint,
      ),
      this.error,
      h("div", { class: "cv-row cv-feed-actions" }, this.submit),
      this.box,
    );
  }

  #chosen() {
    const file = this.input.files?.[0];
    this.fileName.textContent = file ? file.name : this.#t("feed.no_file");
    clearLines(this.error);
  }

  #progress(fraction) {
    const t = this.#t;
    this.bar.value = fraction;
    this.text.textContent = t("feed.uploading", {
      percent: new Intl.NumberFormat(t.lang, { style: "percent" }).format(fraction),
    });
  }

  async #upload() {
    const handlers = this.#handlers;
    handlers.onSending();
    const file = this.input.files?.[0];
    if (!file) {
      handlers.onProblem(this.#t("feed.file_missing"), this.error, this.choose);
      return;
    }
    this.submit.disabled = true;
    this.box.hidden = false;
    this.#progress(0);
    this.#sending = this.#send(file, (fraction) => this.#progress(fraction));
    try {
      const record = await this.#sending.promise;
      this.input.value = "";
      this.#chosen();
      handlers.onStarted(record);
    } catch (error) {
      if (error?.code === "cancelled") handlers.onCancelled();
      else await handlers.onRefused(error, this.error, this.choose);
    } finally {
      // Cancel goes with the box: the focus it had comes back to the upload button.
      const focused = this.box.contains(document.activeElement);
      this.#sending = null;
      this.box.hidden = true;
      this.submit.disabled = false;
      if (focused) this.submit.focus();
    }
  }
}
