/**
 * The agent's private lightbox: a shopper's upload enlarged in a modal dialog on the agent's
 * screen only. Nothing is sent; the shared viewer and the shopper's screen do not change. A video
 * plays here with the browser's own controls, unsynchronised.
 */

import { serverUrl } from "../shared/api.js";
import { h, icon } from "../shared/dom.js";
import { uploadSources } from "../shared/upload-card.js";

export class AgentLightbox {
  #t;
  #origin;

  /** @param {{t: Function, origin: string}} options */
  constructor({ t, origin }) {
    this.#t = t;
    this.#origin = origin;
    this.title = h("h2", { class: "cv-lightbox-title", id: "cv-lightbox-title" });
    this.body = h("div", { class: "cv-lightbox-body" });
    this.element = h(
      "dialog",
      {
        class: "cv-lightbox",
        "data-testid": "agent-lightbox",
        "aria-labelledby": "cv-lightbox-title",
        on: {
          // A click on the backdrop (the dialog itself, outside its content) closes it.
          click: (event) => event.target === this.element && this.close(),
          close: () => this.body.replaceChildren(),
        },
      },
      h(
        "div",
        { class: "cv-lightbox-head" },
        this.title,
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-icon-btn",
            "data-testid": "lightbox-close",
            "aria-label": t("agent.lightbox_close"),
            title: t("agent.lightbox_close"),
            on: { click: () => this.close() },
          },
          icon("close"),
        ),
      ),
      this.body,
      h("p", { class: "cv-lightbox-note", text: t("agent.lightbox_private") }),
    );
  }

  /** Enlarge a ready upload (a timeline upload item). */
  open(item) {
    const t = this.#t;
    const media = item.media ?? {};
    const { display, poster } = uploadSources(media);
    if (!display) return;
    const isVideo = media.kind === "video";
    this.title.textContent =
      media.name ?? item.name ?? t(isVideo ? "upload.video_alt" : "upload.photo_alt");
    const src = serverUrl(this.#origin, display);
    this.body.replaceChildren(
      isVideo
        ? h("video", {
            class: "cv-lightbox-media",
            src,
            poster: poster ? serverUrl(this.#origin, poster) : null,
            controls: true,
            playsinline: true,
            "data-testid": "lightbox-media",
          })
        : h("img", {
            class: "cv-lightbox-media",
            src,
            alt: t("upload.photo_alt"),
            "data-testid": "lightbox-media",
          }),
    );
    if (!this.element.open) this.element.showModal();
  }

  close() {
    if (this.element.open) this.element.close();
  }
}
