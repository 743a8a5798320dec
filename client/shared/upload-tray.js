/**
 * The shopper's photo/video uploads: a camera button (`capture="environment"`, opens the phone's
 * camera), a general file button, and a tray of uploads in flight with a progress bar fed by
 * XMLHttpRequest upload progress. Each upload goes out with an `upload_id` the client chose,
 * which the server echoes in the upload's `media.*` events: as soon as the conversation shows
 * that upload, the tray item leaves, and from there the chat's upload card shows processing,
 * ready, failure and the blur warning with "take it again". Without a conversation yet, picking
 * a file first asks the host to `start` one.
 *
 * Photos are made smaller before they go (photo-resize.js: long side at most 2560 px, JPEG,
 * upright, no metadata) unless the shopper ticks "Original" next to the upload buttons, which
 * sends every file as it is. While a photo is being prepared its tray item says so; cancelling
 * then sends nothing.
 */

import { ApiError } from "./api.js";
import { Change } from "./conversation-state.js";
import { h, icon } from "./dom.js";
import { errorText } from "./i18n.js";
import { randomId } from "./ids.js";
import { preparePhoto } from "./photo-resize.js";
import { DEFAULT_LIMITS, uploadByteLimit } from "./protocol.js";
import { uploadCard } from "./upload-card.js";

let trayCounter = 0;

/** A fresh upload id: "u_" and 20 base-36 characters (the server takes `[A-Za-z0-9_-]{1,64}`). */
export function newUploadId() {
  return randomId("u_", 20);
}

/** Where an upload into `conversationId` is posted, naming it `uploadId`. */
export function uploadPath(conversationId, uploadId) {
  const conversation = encodeURIComponent(conversationId);
  return `/api/conversations/${conversation}/media?upload_id=${encodeURIComponent(uploadId)}`;
}

export class UploadTray {
  #t;
  #origin;
  #start;
  #limits;
  #prepare;
  #api = null;
  #session = null;
  #listener = (event) => event.detail.change === Change.TIMELINE && this.#prune();
  #items = [];

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {string} options.origin the Covisor server
   * @param {() => Promise<void>} [options.start] makes a conversation (`setContext`) when a file
   *   is picked without one; without `start`, no context means no uploads
   * @param {typeof DEFAULT_LIMITS} [options.limits] the server's limits: a file over the byte
   *   limit of its kind is refused here instead of being sent (after the photo was made smaller)
   * @param {typeof preparePhoto} [options.prepare] what makes a photo smaller (tests replace it)
   */
  constructor({ t, origin, start = null, limits = DEFAULT_LIMITS, prepare = preparePhoto }) {
    this.#t = t;
    this.#origin = origin;
    this.#start = start;
    this.#limits = limits;
    this.#prepare = prepare;
    this.cameraInput = this.#fileInput("camera-input", "image/*", true);
    this.fileInput = this.#fileInput("upload-input", "image/*,video/*", false);
    this.originalInput = h("input", {
      type: "checkbox",
      class: "cv-original-check",
      "data-testid": "upload-original",
      disabled: true,
    });
    const hint = t("upload.original_hint");
    this.tools = [
      this.#picker(this.cameraInput, "camera", t("upload.take_photo"), "camera-button"),
      this.#picker(this.fileInput, "image", t("upload.choose_file"), "upload-button"),
      h(
        "label",
        { class: "cv-original", title: hint, "data-testid": "upload-original-toggle" },
        this.originalInput,
        h("span", { class: "cv-original-text", text: t("upload.original") }),
        h("span", { class: "cv-visually-hidden", text: hint }),
      ),
    ];
    this.element = h("ul", {
      class: "cv-tray",
      "data-testid": "upload-tray",
      "aria-label": t("upload.tray"),
      hidden: true,
    });
  }

  /**
   * Upload into `session`'s conversation with `api` (a token-bearing `Api`); nulls disable,
   * unless the host can `start` a conversation.
   */
  setContext(api, session) {
    this.#session?.removeEventListener("change", this.#listener);
    this.#api = api;
    this.#session = session;
    session?.addEventListener("change", this.#listener);
    this.setEnabled(Boolean(session) || Boolean(this.#start));
  }

  /** Allow or refuse new uploads (a closed conversation takes none). */
  setEnabled(enabled) {
    for (const input of [this.cameraInput, this.fileInput, this.originalInput])
      input.disabled = !enabled;
  }

  /** Whether the shopper chose to send files as they are ("Original" ticked). */
  get sendsOriginal() {
    return this.originalInput.checked;
  }

  /** Open the camera again (after a blurry photo). */
  retake() {
    this.cameraInput.click();
  }

  /** The chat card for an upload item, with "take it again" on the shopper's own blurry photo. */
  renderUpload(item, session) {
    const mine = item.actor?.id === session.selfId;
    const actions = [];
    if (mine && item.status === "ready" && item.media?.blurry === true) {
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "cv-btn cv-btn--primary",
            "data-testid": "upload-retake",
            on: { click: () => this.retake() },
          },
          icon("camera"),
          this.#t("upload.retake"),
        ),
      );
    }
    return uploadCard(item, { t: this.#t, origin: this.#origin, mine, actions });
  }

  #fileInput(testid, accept, camera) {
    const input = h("input", {
      type: "file",
      accept,
      capture: camera ? "environment" : undefined,
      class: "cv-visually-hidden",
      "data-testid": testid,
      disabled: true,
      on: {
        change: async () => {
          const files = [...(input.files ?? [])];
          input.value = "";
          if (files.length && !this.#session) await this.#start?.();
          for (const file of files) this.#upload(file);
        },
      },
    });
    return input;
  }

  #picker(input, iconName, label, testid) {
    return h(
      "label",
      { class: "cv-btn cv-icon-btn cv-picker", title: label, "data-testid": testid },
      input,
      icon(iconName),
      h("span", { class: "cv-visually-hidden", text: label }),
    );
  }

  #upload(file) {
    if (!this.#api || !this.#session) return;
    const session = this.#session;
    const item = {
      key: `up${(trayCounter += 1)}`,
      uploadId: newUploadId(),
      file,
      sent: null,
      prepared: null,
      progress: 0,
      status: "uploading",
      preparing: true,
      mediaId: null,
      error: null,
      session,
      request: null,
    };
    // Cancelled while the photo is being prepared: nothing is sent.
    item.request = {
      abort: () => {
        item.cancelled = true;
        this.#remove(item);
      },
    };
    this.#items.push(item);
    this.#render();
    this.#prepare(file, { original: this.sendsOriginal }).then(
      (prepared) => this.#send(item, prepared),
      () => this.#send(item, { file, reason: "failed" }),
    );
  }

  #send(item, prepared) {
    if (item.cancelled) return;
    item.preparing = false;
    item.sent = prepared.file;
    item.prepared = prepared.reason;
    if (item.sent.size > uploadByteLimit(item.sent, this.#limits)) {
      item.status = "failed";
      item.error = new ApiError("too_large", "over the server's limit for this kind of file");
      this.#render();
      return;
    }
    item.request = this.#api.upload(
      uploadPath(item.session.conversationId, item.uploadId),
      item.sent,
      (fraction) => {
        const finished = fraction >= 1 && item.progress < 1;
        item.progress = fraction;
        if (finished) {
          this.#render();
          this.#prune();
        } else {
          this.#renderItem(item);
        }
      },
    );
    this.#render();
    item.request.promise.then(
      (answer) => {
        item.status = "processing";
        item.mediaId = answer?.id ?? null;
        this.#prune();
        this.#render();
      },
      (error) => {
        if (error.code === "cancelled") {
          this.#remove(item);
          return;
        }
        item.status = "failed";
        item.error = error;
        this.#render();
      },
    );
  }

  /**
   * Drop tray items whose upload the conversation now shows: its `media.processing` carries our
   * upload id (the server answers the POST only when processing is done). A refusal before the
   * announcement never reaches the conversation, so that item stays, with its error.
   */
  #prune() {
    const shown = (item) =>
      item.session.state.findUpload({ uploadId: item.uploadId, mediaId: item.mediaId });
    const before = this.#items.length;
    this.#items = this.#items.filter((item) => !shown(item));
    if (this.#items.length !== before) this.#render();
  }

  #remove(item) {
    this.#items = this.#items.filter((other) => other !== item);
    this.#render();
  }

  #render() {
    this.element.replaceChildren(
      ...this.#items.map((item) => (item.element = this.#buildItem(item))),
    );
    this.element.hidden = this.#items.length === 0;
  }

  #renderItem(item) {
    if (!item.element) return;
    const bar = item.element.querySelector("progress");
    bar.value = item.progress;
    item.element.querySelector(".cv-tray-status").textContent = this.#statusText(item);
  }

  #statusText(item) {
    const t = this.#t;
    if (item.preparing) return t("upload.preparing");
    if (item.status === "uploading" && item.progress < 1)
      return t("upload.uploading", { percent: Math.round(item.progress * 100) });
    if (item.status !== "failed") return t("upload.processing");
    return errorText(t, item.error, "upload.error");
  }

  #buildItem(item) {
    const t = this.#t;
    const done = item.status !== "uploading";
    return h(
      "li",
      {
        class: `cv-tray-item cv-tray-item--${item.status}`,
        "data-testid": "upload-item",
        dataset: { status: item.status, ...(item.prepared ? { prepared: item.prepared } : {}) },
      },
      h("span", { class: "cv-tray-name", text: item.file.name || t("upload.unnamed") }),
      h("progress", {
        max: "1",
        value: String(done ? 1 : item.progress),
        "data-testid": "upload-progress",
        "aria-label": t("upload.progress", { name: item.file.name || t("upload.unnamed") }),
      }),
      h("span", { class: "cv-tray-status", role: "status", text: this.#statusText(item) }),
      item.status !== "failed" && item.progress >= 1
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "cv-btn cv-icon-btn",
              "aria-label": t(item.status === "failed" ? "upload.dismiss" : "upload.cancel"),
              "data-testid": "upload-cancel",
              on: {
                click: () => (item.status === "failed" ? this.#remove(item) : item.request.abort()),
              },
            },
            icon("close"),
          ),
    );
  }
}
