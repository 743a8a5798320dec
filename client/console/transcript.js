/**
 * The selected conversation's transcript in the console: a preview to print or download.
 *
 * The printable page (`GET /api/conversations/{id}/transcript.html`) answers the agent's bearer
 * token only, so a plain link would be a `401` in a new tab. The console fetches it with the
 * token instead, and never puts a credential in a URL (no signed link to leak through history,
 * logs or a shared screen). The preview is a frame of the page's own text (`srcdoc`): sandboxed
 * without scripts, under the console's policy and the page's own (a `<meta>` policy allowing its
 * one stylesheet and the server's pictures); Print prints that frame. Download saves the same
 * text as an HTML file (a `blob:` URL of a Blob, revoked on the next open).
 */

import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";

export class TranscriptDialog {
  #t;
  #api;
  #conversationId;
  #url = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {() => string|undefined} options.conversationId the selected conversation's id
   */
  constructor({ t, api, conversationId }) {
    this.#t = t;
    this.#api = api;
    this.#conversationId = conversationId;
    this.frame = h("iframe", {
      class: "cv-transcript-frame",
      "data-testid": "transcript-frame",
      sandbox: "allow-same-origin allow-modals",
      title: t("agent.history.transcript"),
    });
    this.download = h("a", {
      class: "cv-btn",
      "data-testid": "transcript-download",
      text: t("agent.history.download"),
    });
    this.error = h("p", { class: "cv-history-error", role: "alert" });
    const button = (testid, key, onClick, primary = false) =>
      h("button", {
        type: "button",
        class: primary ? "cv-btn cv-btn--primary" : "cv-btn",
        "data-testid": testid,
        text: t(key),
        on: { click: onClick },
      });
    /** The `<dialog>`, to add to the console. */
    this.element = h(
      "dialog",
      { class: "cv-dialog cv-dialog--wide", "data-testid": "transcript-dialog" },
      h(
        "div",
        { class: "cv-dialog-actions" },
        button("transcript-print", "agent.history.print", () => this.frame.contentWindow?.print(), true),
        this.download,
        button("transcript-close", "agent.done", () => this.element.close()),
      ),
      this.error,
      this.frame,
    );
  }

  /** Fetch the selected conversation's transcript, in this browser's time zone, and show it. */
  async open() {
    const id = this.#conversationId();
    if (!id) return;
    this.error.textContent = "";
    this.frame.srcdoc = "";
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = null;
    this.download.removeAttribute("href");
    this.element.showModal();
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const query = tz ? `?tz=${encodeURIComponent(tz)}` : "";
    let page;
    try {
      page = await this.#api.page(`/api/conversations/${encodeURIComponent(id)}/transcript.html${query}`);
    } catch (error) {
      this.error.textContent = errorText(this.#t, error);
      return;
    }
    this.frame.srcdoc = page;
    this.#url = URL.createObjectURL(new Blob([page], { type: "text/html" }));
    this.download.href = this.#url;
    this.download.download = `transcript-${id}.html`;
  }
}
