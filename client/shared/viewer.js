/**
 * The shared viewer, used by both the shopper widget and the agent console: the shown image or
 * video, zoom and pan (wheel, pinch, drag, keyboard, buttons) sent as `viewer.transform`, and
 * annotation strokes drawn on a canvas over the media in image-normalised coordinates.
 *
 * What is on screen is always computed from the conversation state (`ConversationState`) and the
 * geometry in view-transform.js, so a phone and a desktop show the same region and the strokes on
 * the same spot. During a local gesture the local transform wins over echoes of earlier ones; it
 * is dropped once the server echoes the final one (or someone else moves the view).
 *
 * A product of the shop's feed (`media.product`) gets its card beside the picture, or below it
 * (product-card.js); its chips and thumbnails send `viewer.show` like any other choice.
 *
 * Dispatches `media` (the shown media changed; `hasMedia` tells whether there is any) and `error`
 * (detail: the refused ack's error) events.
 */

import { serverUrl } from "./api.js";
import { displayName } from "./chat-view.js";
import { Change } from "./conversation-state.js";
import { h } from "./dom.js";
import { errorText } from "./i18n.js";
import { ProductCard } from "./product-card.js";
import { Events } from "./protocol.js";
import { VideoPlayer } from "./video-player.js";
import { newUploadId } from "./upload-tray.js";
import {
  clampTransform,
  fitRegion,
  mediaRect,
  panBy,
  sameRegion,
  sameTransform,
  screenToImage,
  strokeWidthOnScreen,
  visibleRegion,
  zoomAt,
} from "./view-transform.js";
import { PenStroke } from "./viewer-pen.js";
import { ViewerTools } from "./viewer-tools.js";

const WHEEL_ZOOM_PER_PIXEL = 0.0015;
const STEP_ZOOM = 1.25;
const STEP_PAN = 0.1;
const GESTURE_SETTLE_MS = 250;
const LOCAL_HOLD_MS = 2000;

export class Viewer extends EventTarget {
  #t;
  #origin;
  #session = null;
  #listener = (event) => this.#onChange(event.detail);
  #local = null;
  #interacting = false;
  #pushed = false;
  #settleTimer = null;
  #holdTimer = null;
  #statusTimer = null;
  #pointers = new Map();
  #gesture = null;
  #drawing = null;
  #mediaKey = null;
  #natural = null;
  #frame = 0;
  #api = null;
  #sentView = null;
  #saving = false;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {string} options.origin server origin, to resolve media paths
   * @param {string} [options.emptyText] shown when nothing is in the viewer
   */
  constructor({ t, origin, emptyText }) {
    super();
    this.#t = t;
    this.#origin = origin;
    this.player = new VideoPlayer({ t });
    this.image = h("img", {
      class: "cv-media",
      alt: "",
      draggable: "false",
      "data-testid": "viewer-image",
      hidden: true,
      on: { load: () => this.#mediaLoaded(this.image.naturalWidth, this.image.naturalHeight) },
    });
    this.player.video.addEventListener("loadedmetadata", () =>
      this.#mediaLoaded(this.player.video.videoWidth, this.player.video.videoHeight),
    );
    this.canvas = h("canvas", { class: "cv-canvas", "data-testid": "viewer-canvas" });
    // The other side's visible region ("follow me" indicator), drawn over the media.
    this.theirLabel = h("span", { class: "cv-their-view-label", "data-testid": "their-view-label" });
    this.theirView = h(
      "div",
      { class: "cv-their-view", "data-testid": "their-view", hidden: true, "aria-hidden": "true" },
      this.theirLabel,
    );
    this.empty = h("p", {
      class: "cv-viewer-empty",
      "data-testid": "viewer-empty",
      text: emptyText ?? t("viewer.empty"),
    });
    this.stage = h(
      "div",
      {
        class: "cv-stage",
        tabindex: "0",
        role: "application",
        "aria-roledescription": t("viewer.role"),
        "aria-label": t("viewer.label"),
        "data-testid": "viewer-stage",
        on: { keydown: (event) => this.#onKey(event) },
      },
      this.image,
      this.player.video,
      this.canvas,
      this.theirView,
      this.empty,
    );
    this.status = h("p", {
      class: "cv-viewer-status",
      "data-testid": "viewer-status",
      role: "status",
    });
    this.toolbar = new ViewerTools({
      t,
      zoomStep: STEP_ZOOM,
      onToolChange: (tool) => (this.stage.dataset.tool = tool),
      onUndo: () => this.#strokeCommand(Events.STROKE_UNDO),
      onClear: () => this.#strokeCommand(Events.STROKE_CLEAR),
      onZoom: (factor) => this.#stepZoom(factor),
      onReset: () => this.#resetZoom(),
      onFollow: () => this.#goToTheirView(),
      onSave: () => this.#saveAnnotated(),
    });
    this.tools = this.toolbar.element;
    this.product = new ProductCard({
      t,
      origin,
      onChoose: (payload) => this.#showProduct(payload),
    });
    this.element = h(
      "section",
      { class: "cv-viewer", "data-testid": "viewer", "aria-label": t("viewer.label") },
      h("div", { class: "cv-viewer-body" }, this.stage, this.product.element),
      this.player.bar,
      this.tools,
      this.status,
    );
    this.#bindPointers();
    new ResizeObserver(() => this.#scheduleRender()).observe(this.stage);
  }

  /** True when the conversation shows an image or a video. */
  get hasMedia() {
    return Boolean(this.#session?.state.media);
  }

  /**
   * The HTTP API with this side's token (for "Save annotated picture"); null hides the button.
   * @param {import("./api.js").Api | null} api
   */
  setApi(api) {
    this.#api = api;
    this.#updateSave();
  }

  /** Show `session`'s viewer (null for none); listens to its changes until replaced. */
  setSession(session) {
    this.#session?.removeEventListener("change", this.#listener);
    this.#endStroke();
    this.#session = session;
    this.player.setSession(session);
    session?.addEventListener("change", this.#listener);
    this.#mediaKey = undefined;
    this.#sentView = null;
    this.#onChange({ change: Change.MEDIA });
  }

  async #strokeCommand(event) {
    const ack = await this.#session?.send(event, {});
    if (ack && !ack.ok) this.#report(ack.error);
  }

  /** A chip or thumbnail of the product card: the server shows it to everyone, or says no. */
  async #showProduct(payload) {
    const ack = await this.#session?.send(Events.VIEWER_SHOW, payload);
    if (ack && !ack.ok) this.#report(ack.error);
  }

  #report(error) {
    this.status.dataset.kind = "error";
    this.status.textContent = errorText(this.#t, error);
    this.dispatchEvent(new CustomEvent("error", { detail: error }));
    clearTimeout(this.#statusTimer);
    this.#statusTimer = setTimeout(() => (this.status.textContent = ""), 4000);
  }

  #onChange({ change, event }) {
    const state = this.#session?.state;
    if (change === Change.MEDIA || change === "joined") this.#showMedia(state?.media ?? null);
    this.product.render(state?.media ?? null, {
      enabled: Boolean(this.#session?.joined) && state?.status !== "closed",
    });
    this.element.dataset.product = String(Boolean(state?.media?.product));
    if (change === Change.TRANSFORM && this.#local && !this.#interacting) {
      const mine = event?.actor?.id === this.#session.selfId;
      if (!mine || sameTransform(state.transform, this.#local)) this.#dropLocal();
    }
    if (change === Change.VIDEO || change === "joined") this.player.sync();
    // Someone (re)joined: tell them what this side sees on the next frame.
    if (change === "joined" || change === "presence") this.#sentView = null;
    this.#updateSave();
    this.tools.toggleAttribute("hidden", !state?.media);
    this.tools.classList.toggle("cv-disabled", state?.status === "closed");
    this.#scheduleRender();
  }

  #showMedia(media) {
    const key = media ? `${media.id}|${media.src}` : null;
    if (key === this.#mediaKey) return;
    this.#mediaKey = key;
    this.#dropLocal();
    this.#session?.views.clear();
    this.#sentView = null;
    this.#natural =
      media?.width && media?.height ? { width: media.width, height: media.height } : null;
    const isVideo = media?.kind === "video";
    this.image.hidden = !media || isVideo;
    if (media && !isVideo) {
      this.image.src = serverUrl(this.#origin, media.src);
      this.image.alt = media.title ?? this.#t("viewer.image_alt");
    } else {
      this.image.removeAttribute("src");
    }
    const poster = media?.poster ? serverUrl(this.#origin, media.poster) : null;
    this.player.load(isVideo ? serverUrl(this.#origin, media.src) : null, poster);
    this.empty.hidden = Boolean(media);
    this.element.dataset.kind = media?.kind ?? "none";
    this.dispatchEvent(new Event("media"));
  }

  #mediaLoaded(width, height) {
    if (width > 0 && height > 0) this.#natural = { width, height };
    this.#scheduleRender();
  }

  #geometry() {
    const container = { width: this.stage.clientWidth, height: this.stage.clientHeight };
    const media = this.#natural ?? container;
    return { container, media };
  }

  /**
   * The transform shown now: the local one during a gesture, else the shared one. A shared one
   * that carries the sender's visible region (`w`, `h`) is fitted, so all of that region is
   * visible here whatever the shape of this screen.
   */
  #current() {
    const { container, media } = this.#geometry();
    if (this.#local) return clampTransform(this.#local, container, media);
    const shared = this.#session.state.transform;
    if (shared.w > 0 && shared.h > 0) return fitRegion(shared, container, media);
    return clampTransform(shared, container, media);
  }

  #scheduleRender() {
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#render());
  }

  #render() {
    this.#frame = 0;
    const { container, media } = this.#geometry();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(container.width * ratio);
    const height = Math.round(container.height * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const context = this.canvas.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, width, height);
    const state = this.#session?.state;
    if (!state?.media || !container.width || !container.height) {
      this.theirView.hidden = true;
      this.toolbar.setFollowAvailable(false);
      return;
    }
    const transform = this.#current();
    const rect = mediaRect(transform, container, media);
    this.#shareView(transform, container, media);
    this.#renderTheirView(rect, container);
    const element = state.media.kind === "video" ? this.player.video : this.image;
    Object.assign(element.style, {
      left: `${rect.left}px`,
      top: `${rect.top}px`,
      width: `${rect.width}px`,
      height: `${rect.height}px`,
    });
    this.stage.dataset.zoom = transform.zoom.toFixed(2);
    const strokes = state.visibleStrokes();
    const selfId = this.#session.selfId;
    this.toolbar.updateStrokeButtons(
      strokes.some((stroke) => stroke.actor_id === selfId),
      strokes.length > 0,
    );
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.shadowColor = "rgba(0, 0, 0, 0.35)";
    context.shadowBlur = 2;
    for (const stroke of strokes) {
      const points = stroke.points;
      if (points.length === 0) continue;
      const lineWidth = Math.max(1, strokeWidthOnScreen(stroke.width, transform, container, media));
      const x = (p) => rect.left + p[0] * rect.width;
      const y = (p) => rect.top + p[1] * rect.height;
      context.strokeStyle = stroke.color;
      context.fillStyle = stroke.color;
      context.lineWidth = lineWidth;
      context.beginPath();
      if (points.length === 1) {
        context.arc(x(points[0]), y(points[0]), lineWidth / 2, 0, Math.PI * 2);
        context.fill();
        continue;
      }
      context.moveTo(x(points[0]), y(points[0]));
      for (let i = 1; i < points.length; i += 1) context.lineTo(x(points[i]), y(points[i]));
      context.stroke();
    }
  }

  /** Send this side's visible region when it changed (throttled by the session). */
  #shareView(transform, container, media) {
    if (!this.#natural || !this.#session?.joined) return;
    const region = visibleRegion(transform, container, media);
    if (this.#sentView && sameRegion(region, this.#sentView)) return;
    this.#sentView = region;
    this.#session.pushView(region);
  }

  /** The latest other member's region as an outline, kept on the stage where it reaches out. */
  #renderTheirView(rect, container) {
    const views = [...(this.#session?.views.values() ?? [])];
    const view = views.at(-1);
    this.toolbar.setFollowAvailable(Boolean(view));
    if (!view) {
      this.theirView.hidden = true;
      return;
    }
    const inset = 1;
    const left = Math.max(inset, rect.left + (view.cx - view.w / 2) * rect.width);
    const top = Math.max(inset, rect.top + (view.cy - view.h / 2) * rect.height);
    const right = Math.min(container.width - inset, rect.left + (view.cx + view.w / 2) * rect.width);
    const bottom = Math.min(
      container.height - inset,
      rect.top + (view.cy + view.h / 2) * rect.height,
    );
    this.theirView.hidden = !(right - left > 4 && bottom - top > 4);
    Object.assign(this.theirView.style, {
      left: `${left}px`,
      top: `${top}px`,
      width: `${right - left}px`,
      height: `${bottom - top}px`,
    });
    const name = displayName(this.#t, view.actor?.name ?? "", null) || this.#t("viewer.someone");
    this.theirLabel.textContent = this.#t("viewer.their_view", { name });
    this.theirView.dataset.actorId = view.actor?.id ?? "";
  }

  /** "Go to their view": fit the other member's region here (and share it as the view). */
  #goToTheirView() {
    const view = [...(this.#session?.views.values() ?? [])].at(-1);
    if (!view || !this.#canInteract()) return;
    const { container, media } = this.#geometry();
    this.#startGesture(null);
    this.#setLocal(fitRegion(view, container, media));
    this.#finishGesture(0);
  }

  #updateSave() {
    const media = this.#session?.state.media;
    const picture = Boolean(media) && media.kind !== "video";
    this.toolbar.setSaveAvailable(Boolean(this.#api) && picture, this.#saving);
  }

  /** "Save annotated picture": the server draws the strokes on the shown picture (PROTOCOL.md). */
  async #saveAnnotated() {
    const session = this.#session;
    if (!this.#api || !session || this.#saving) return;
    this.#saving = true;
    this.#updateSave();
    clearTimeout(this.#statusTimer);
    this.status.dataset.kind = "info";
    this.status.textContent = this.#t("viewer.saving");
    const path =
      `/api/conversations/${encodeURIComponent(session.conversationId)}/annotated` +
      `?upload_id=${encodeURIComponent(newUploadId())}`;
    try {
      await this.#api.request("POST", path);
      this.status.textContent = this.#t("viewer.saved");
      this.#statusTimer = setTimeout(() => (this.status.textContent = ""), 4000);
    } catch (error) {
      this.#report(error);
    } finally {
      this.#saving = false;
      this.#updateSave();
    }
  }

  #bindPointers() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => this.#onPointerDown(event));
    canvas.addEventListener("pointermove", (event) => this.#onPointerMove(event));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, (event) => this.#onPointerUp(event));
    }
    canvas.addEventListener("wheel", (event) => this.#onWheel(event), { passive: false });
  }

  #point(event) {
    const box = this.stage.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  #canInteract() {
    const state = this.#session?.state;
    return Boolean(state?.media) && state.status !== "closed" && this.#session.joined;
  }

  #onPointerDown(event) {
    if (!this.#canInteract() || event.button > 0) return;
    event.preventDefault();
    this.stage.focus({ preventScroll: true });
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // Synthetic pointers (tests, some assistive tech) cannot be captured; moves still arrive.
    }
    const point = this.#point(event);
    this.#pointers.set(event.pointerId, point);
    if (this.#pointers.size === 1) {
      if (this.toolbar.tool === "pen") this.#startStroke(point);
      else this.#startGesture({ kind: "pan", last: point });
    } else if (this.#pointers.size === 2) {
      this.#endStroke();
      const [a, b] = [...this.#pointers.values()];
      this.#startGesture({
        kind: "pinch",
        distance: Math.hypot(a[0] - b[0], a[1] - b[1]),
        mid: midpoint(a, b),
      });
    }
  }

  #onPointerMove(event) {
    if (!this.#pointers.has(event.pointerId)) return;
    const point = this.#point(event);
    this.#pointers.set(event.pointerId, point);
    if (this.#drawing) {
      const samples = event.getCoalescedEvents?.() ?? [];
      for (const sample of samples.length ? samples : [event])
        this.#extendStroke(this.#point(sample));
      return;
    }
    const { container, media } = this.#geometry();
    const gesture = this.#gesture;
    if (gesture?.kind === "pan" && this.#pointers.size === 1) {
      const [dx, dy] = [point[0] - gesture.last[0], point[1] - gesture.last[1]];
      gesture.last = point;
      this.#setLocal(panBy(this.#current(), dx, dy, container, media));
    } else if (gesture?.kind === "pinch" && this.#pointers.size >= 2) {
      const [a, b] = [...this.#pointers.values()];
      const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
      const mid = midpoint(a, b);
      let next = zoomAt(
        this.#current(),
        distance / (gesture.distance || distance),
        mid,
        container,
        media,
      );
      next = panBy(next, mid[0] - gesture.mid[0], mid[1] - gesture.mid[1], container, media);
      gesture.distance = distance;
      gesture.mid = mid;
      this.#setLocal(next);
    }
  }

  #onPointerUp(event) {
    if (!this.#pointers.delete(event.pointerId)) return;
    this.#endStroke();
    if (this.#pointers.size === 1) {
      this.#gesture = { kind: "pan", last: [...this.#pointers.values()][0] };
    } else if (this.#pointers.size === 0) {
      this.#gesture = null;
      this.#finishGesture(0);
    }
  }

  #onWheel(event) {
    if (!this.#canInteract()) return;
    event.preventDefault();
    const pixels = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1);
    const { container, media } = this.#geometry();
    this.#startGesture(null);
    this.#setLocal(
      zoomAt(
        this.#current(),
        Math.exp(-pixels * WHEEL_ZOOM_PER_PIXEL),
        this.#point(event),
        container,
        media,
      ),
    );
    this.#finishGesture(GESTURE_SETTLE_MS);
  }

  #onKey(event) {
    if (!this.#canInteract() || event.altKey || event.ctrlKey || event.metaKey) return;
    const { container } = this.#geometry();
    const pan = {
      ArrowLeft: [container.width * STEP_PAN, 0],
      ArrowRight: [-container.width * STEP_PAN, 0],
      ArrowUp: [0, container.height * STEP_PAN],
      ArrowDown: [0, -container.height * STEP_PAN],
    }[event.key];
    if (pan) {
      const { media } = this.#geometry();
      this.#startGesture(null);
      this.#setLocal(panBy(this.#current(), pan[0], pan[1], container, media));
      this.#finishGesture(GESTURE_SETTLE_MS);
    } else if (event.key === "+" || event.key === "=") this.#stepZoom(STEP_ZOOM);
    else if (event.key === "-") this.#stepZoom(1 / STEP_ZOOM);
    else if (event.key === "0") this.#resetZoom();
    else return;
    event.preventDefault();
  }

  #stepZoom(factor) {
    if (!this.#canInteract()) return;
    const { container, media } = this.#geometry();
    const centre = [container.width / 2, container.height / 2];
    this.#startGesture(null);
    this.#setLocal(zoomAt(this.#current(), factor, centre, container, media));
    this.#finishGesture(GESTURE_SETTLE_MS);
  }

  #resetZoom() {
    if (!this.#canInteract()) return;
    this.#startGesture(null);
    this.#setLocal({ zoom: 1, cx: 0.5, cy: 0.5 });
    this.#finishGesture(0);
  }

  #startGesture(gesture) {
    if (gesture) this.#gesture = gesture;
    clearTimeout(this.#settleTimer);
    clearTimeout(this.#holdTimer);
    if (!this.#interacting) {
      this.#local = this.#current();
      this.#interacting = true;
      this.#pushed = false;
    }
  }

  #setLocal(transform) {
    if (this.#local && sameTransform(transform, this.#local)) return;
    this.#local = transform;
    this.#pushed = true;
    const { container, media } = this.#geometry();
    const region = visibleRegion(transform, container, media);
    // With the region it shows, so a screen of another shape fits it rather than copying zoom.
    this.#session.pushTransform(this.#natural ? { ...transform, w: region.w, h: region.h } : transform);
    this.#scheduleRender();
  }

  /** The gesture is over (after `delay` ms without input): send the final transform. */
  #finishGesture(delay) {
    clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(async () => {
      this.#interacting = false;
      if (!this.#pushed) {
        this.#dropLocal();
        return;
      }
      const ack = await this.#session?.flushTransform();
      if (ack && !ack.ok) {
        this.#report(ack.error);
        this.#dropLocal();
      } else if (!this.#interacting) {
        this.#holdTimer = setTimeout(() => !this.#interacting && this.#dropLocal(), LOCAL_HOLD_MS);
      }
    }, delay);
  }

  #dropLocal() {
    clearTimeout(this.#holdTimer);
    if (this.#interacting) return;
    this.#local = null;
    this.#scheduleRender();
  }

  #toImage(point) {
    const { container, media } = this.#geometry();
    return screenToImage(point, this.#current(), container, media);
  }

  #startStroke(point) {
    const { container, media } = this.#geometry();
    this.#drawing = new PenStroke({
      session: this.#session,
      start: this.#toImage(point),
      color: this.toolbar.color,
      width: this.toolbar.width,
      shownWidth: mediaRect(this.#current(), container, media).width,
      onRefused: (error) => {
        this.#report(error);
        this.#scheduleRender();
      },
    });
    this.#scheduleRender();
  }

  #extendStroke(point) {
    this.#drawing.extend(this.#toImage(point));
    this.#scheduleRender();
  }

  #endStroke() {
    if (!this.#drawing) return;
    this.#drawing.finish();
    this.#drawing = null;
    this.#scheduleRender();
  }
}

function midpoint(a, b) {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}
