/**
 * The shared video: a `<video>` that follows the conversation's `video.state` and a control bar
 * whose actions are sent as `video.play` / `video.pause` / `video.seek` / `video.rate`.
 *
 * Every `DRIFT_CHECK_MS` the player is compared with the position the shared clock expects and
 * corrected by `driftAction` (seek, nudge the rate, restore it). While a local action waits for
 * its ack the correction pauses, so the player does not snap back to the old state in between.
 * When the browser refuses to start playback with sound (autoplay policy) the video plays muted
 * and offers an "unmute" button.
 */

import { h, icon } from "./dom.js";
import { formatDuration } from "./i18n.js";
import { VIDEO_COMMANDS } from "./protocol.js";
import { DRIFT_CHECK_MS, driftAction, expectedPosition } from "./video-clock.js";

const RATES = [0.5, 0.75, 1, 1.25, 1.5, 2];
const END_TOLERANCE_S = 0.05;

export class VideoPlayer {
  #t;
  #session = null;
  #busy = 0;
  #timer = null;
  #dragging = false;

  /** @param {{t: Function}} options translator */
  constructor({ t }) {
    this.#t = t;
    this.video = h("video", {
      class: "cv-media",
      "data-testid": "viewer-video",
      playsinline: true,
      preload: "auto",
      hidden: true,
    });
    this.playButton = h(
      "button",
      {
        type: "button",
        class: "cv-btn cv-icon-btn",
        "data-testid": "video-play",
        "aria-label": t("video.play"),
        on: { click: () => this.#togglePlay() },
      },
      icon("play"),
    );
    this.seek = h("input", {
      type: "range",
      class: "cv-seek",
      min: "0",
      max: "0",
      step: "0.1",
      value: "0",
      "data-testid": "video-seek",
      "aria-label": t("video.position"),
      on: {
        input: () => {
          this.#dragging = true;
          this.#showTime(Number(this.seek.value));
        },
        change: () => {
          this.#dragging = false;
          this.#act("seek", { position: Number(this.seek.value) });
        },
      },
    });
    this.time = h("span", { class: "cv-time", "data-testid": "video-time", text: "0:00 / 0:00" });
    this.rate = h(
      "select",
      {
        class: "cv-select",
        "data-testid": "video-rate",
        "aria-label": t("video.speed"),
        on: { change: () => this.#act("rate", { rate: Number(this.rate.value) }) },
      },
      RATES.map((rate) => h("option", { value: String(rate), text: `${rate}×` })),
    );
    this.unmute = h(
      "button",
      {
        type: "button",
        class: "cv-btn cv-unmute",
        "data-testid": "video-unmute",
        hidden: true,
        on: { click: () => this.#unmute() },
      },
      icon("volume"),
      h("span", { text: t("video.unmute") }),
    );
    this.bar = h(
      "div",
      { class: "cv-videobar", "data-testid": "video-controls", hidden: true },
      this.playButton,
      this.seek,
      this.time,
      this.rate,
      this.unmute,
    );
    this.video.addEventListener("timeupdate", () => this.#renderBar());
    this.video.addEventListener("durationchange", () => this.#renderBar());
  }

  /** Follow `session`'s video state (null to stop). */
  setSession(session) {
    this.#session = session;
  }

  /** Show the video `src` (absolute URL) or, with null, stop and hide it. */
  load(src, poster = null) {
    const video = this.video;
    if (!src) {
      this.#stopLoop();
      video.pause();
      video.removeAttribute("src");
      video.removeAttribute("poster");
      video.load();
      video.hidden = true;
      this.bar.hidden = true;
      return;
    }
    if (poster) video.poster = poster;
    else video.removeAttribute("poster");
    video.src = src;
    video.hidden = false;
    this.bar.hidden = false;
    this.unmute.hidden = true;
    video.playbackRate = 1;
    this.#startLoop();
  }

  /** Apply the shared state now (called on `video.state` and on a timer). */
  sync() {
    const session = this.#session;
    const video = this.video;
    if (!session || video.hidden || this.#busy > 0 || video.readyState < 1) {
      this.#renderBar();
      return;
    }
    const shared = session.state.video;
    const duration = this.#duration();
    const expected = expectedPosition(shared, session.clock.now(), duration);
    const ended = Number.isFinite(duration) && expected >= duration - END_TOLERANCE_S;
    const playing = shared.playing && !ended;
    if (playing && video.paused) this.#play();
    if (!playing && !video.paused) video.pause();
    const action = driftAction({
      actual: video.currentTime,
      expected,
      rate: shared.rate,
      playbackRate: video.playbackRate,
      playing,
    });
    if (action.type === "seek") video.currentTime = action.position;
    if (action.type === "rate") video.playbackRate = action.rate;
    this.#renderBar();
  }

  #duration() {
    if (Number.isFinite(this.video.duration)) return this.video.duration;
    const declared = this.#session?.state.media?.duration;
    return Number.isFinite(declared) ? declared : Infinity;
  }

  /**
   * Whether the shared video plays right now: `playing` and not yet at its end. A video that
   * reached its end is ended (shown as "Play"), however long ago it was started.
   */
  #playingNow() {
    const session = this.#session;
    if (!session?.state.video.playing) return false;
    return !this.#atEnd(expectedPosition(session.state.video, session.clock.now(), Infinity));
  }

  #atEnd(position) {
    const duration = this.#duration();
    return Number.isFinite(duration) && position >= duration - END_TOLERANCE_S;
  }

  /** Play from the end restarts at 0 (the server does the same for everyone). */
  #togglePlay() {
    if (this.#playingNow()) {
      this.#act("pause", { position: this.video.currentTime });
      return;
    }
    const position = this.#atEnd(this.video.currentTime) ? 0 : this.video.currentTime;
    this.#act("play", { position });
  }

  /** A local control: do it at once, send it, and resume drift correction after the ack. */
  async #act(kind, payload) {
    const session = this.#session;
    if (!session) return;
    const video = this.video;
    if (kind === "play") {
      if (payload.position === 0) video.currentTime = 0;
      this.#play();
    }
    if (kind === "pause") video.pause();
    if (kind === "seek") video.currentTime = payload.position;
    if (kind === "rate") video.playbackRate = payload.rate;
    this.#busy += 1;
    try {
      await session.send(VIDEO_COMMANDS[kind], payload);
    } finally {
      this.#busy -= 1;
      this.sync();
    }
  }

  #play() {
    this.video.play().catch((error) => {
      if (error?.name !== "NotAllowedError" || this.video.muted) return;
      this.video.muted = true;
      this.unmute.hidden = false;
      this.video.play().catch(() => {});
    });
  }

  #unmute() {
    this.video.muted = false;
    this.unmute.hidden = true;
    if (this.#session?.state.video.playing) this.#play();
  }

  #renderBar() {
    const shared = this.#session?.state.video;
    const playing = this.#playingNow();
    const label = this.#t(playing ? "video.pause" : "video.play");
    if (this.playButton.getAttribute("aria-label") !== label) {
      this.playButton.setAttribute("aria-label", label);
      this.playButton.replaceChildren(icon(playing ? "pause" : "play"));
    }
    const duration = this.#duration();
    this.seek.max = String(Number.isFinite(duration) ? duration : 0);
    if (!this.#dragging) {
      this.seek.value = String(this.video.currentTime);
      this.#showTime(this.video.currentTime);
    }
    if (shared && !this.rate.matches(":focus")) this.rate.value = String(shared.rate);
  }

  #showTime(position) {
    const duration = this.#duration();
    const total = Number.isFinite(duration) ? formatDuration(duration) : "–:––";
    this.time.textContent = `${formatDuration(position)} / ${total}`;
  }

  #startLoop() {
    this.#stopLoop();
    this.#timer = setInterval(() => this.sync(), DRIFT_CHECK_MS);
  }

  #stopLoop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Stop the correction loop for good. */
  destroy() {
    this.load(null);
  }
}
