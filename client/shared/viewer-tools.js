/**
 * The viewer's toolbar: move/draw toggle, pen colours and widths, undo/clear and zoom buttons.
 * It holds the chosen tool, colour and width and reports button presses to its owner; it knows
 * nothing about sessions or the canvas.
 */

import { h, icon } from "./dom.js";

export const PEN_COLORS = Object.freeze([
  ["#e53935", "color.red"],
  ["#fdd835", "color.yellow"],
  ["#43a047", "color.green"],
  ["#1e88e5", "color.blue"],
  ["#ffffff", "color.white"],
  ["#111111", "color.black"],
]);

/** Stroke widths as a fraction of the media width (PROTOCOL.md allows 0.0005–0.05). */
export const PEN_WIDTHS = Object.freeze([
  [0.003, "width.thin"],
  [0.007, "width.medium"],
  [0.015, "width.thick"],
]);

export class ViewerTools {
  /** "move" (pan and zoom) or "pen" (draw). */
  tool = "move";
  color = PEN_COLORS[0][0];
  width = PEN_WIDTHS[1][0];
  #t;
  #onToolChange;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {(tool: string) => void} options.onToolChange
   * @param {() => void} options.onUndo
   * @param {() => void} options.onClear
   * @param {(factor: number) => void} options.onZoom zoom by a factor around the centre
   * @param {() => void} options.onReset show the whole media
   * @param {number} options.zoomStep
   * @param {() => void} [options.onFollow] "Go to their view": fit the other side's region
   * @param {() => void} [options.onSave] "Save annotated picture"
   */
  constructor({
    t,
    onToolChange,
    onUndo,
    onClear,
    onZoom,
    onReset,
    zoomStep,
    onFollow = () => {},
    onSave = () => {},
  }) {
    this.#t = t;
    this.#onToolChange = onToolChange;
    this.toolButtons = [
      this.#toggle("move", "move", "tools.move"),
      this.#toggle("pen", "pen", "tools.pen"),
    ];
    this.colorButtons = PEN_COLORS.map(([color, label]) => {
      const button = h("button", {
        type: "button",
        class: "cv-swatch",
        "aria-label": t(label),
        title: t(label),
        "aria-pressed": String(color === this.color),
        "data-testid": "pen-color",
        dataset: { color },
        on: { click: () => this.#setColor(color) },
      });
      // Through the CSSOM, not a style attribute, which the pages' CSP refuses.
      button.style.setProperty("--swatch", color);
      return button;
    });
    const width = h(
      "select",
      {
        class: "cv-select",
        "aria-label": t("tools.width"),
        "data-testid": "pen-width",
        on: { change: () => (this.width = Number(width.value)) },
      },
      PEN_WIDTHS.map(([value, label]) =>
        h("option", { value: String(value), text: t(label), selected: value === this.width }),
      ),
    );
    this.undoButton = this.#action("stroke-undo", "undo", "tools.undo", onUndo);
    this.clearButton = this.#action("stroke-clear", "trash", "tools.clear", onClear);
    this.followButton = this.#action("go-to-their-view", "follow", "viewer.go_to_their_view", onFollow, {
      hidden: true,
    });
    this.saveButton = this.#action("save-annotated", "save", "tools.save_annotated", onSave, {
      hidden: true,
    });
    this.element = h(
      "div",
      {
        class: "cv-tools",
        role: "toolbar",
        "aria-label": t("tools.label"),
        "data-testid": "viewer-tools",
      },
      h("div", { class: "cv-tool-group" }, this.toolButtons),
      h(
        "div",
        { class: "cv-tool-group cv-swatches", role: "group", "aria-label": t("tools.color") },
        this.colorButtons,
      ),
      width,
      h("div", { class: "cv-tool-group" }, this.undoButton, this.clearButton),
      h(
        "div",
        { class: "cv-tool-group" },
        this.#action("zoom-out", "zoom-out", "tools.zoom_out", () => onZoom(1 / zoomStep)),
        this.#action("zoom-in", "zoom-in", "tools.zoom_in", () => onZoom(zoomStep)),
        this.#action("zoom-reset", "zoom-reset", "tools.zoom_reset", onReset),
        this.followButton,
      ),
      h("div", { class: "cv-tool-group" }, this.saveButton),
    );
  }

  /** Show "Go to their view" while another side's region is known. */
  setFollowAvailable(available) {
    this.followButton.hidden = !available;
  }

  /** Show "Save annotated picture" for a picture; disabled while a save is running. */
  setSaveAvailable(available, busy = false) {
    this.saveButton.hidden = !available;
    this.saveButton.disabled = busy;
    this.saveButton.setAttribute("aria-busy", String(busy));
  }

  /** Enable undo only with a stroke of one's own, clear only with any stroke. */
  updateStrokeButtons(hasOwnStroke, hasAnyStroke) {
    this.undoButton.disabled = !hasOwnStroke;
    this.clearButton.disabled = !hasAnyStroke;
  }

  setTool(tool) {
    this.tool = tool;
    for (const button of this.toolButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    }
    this.#onToolChange(tool);
  }

  #setColor(color) {
    this.color = color;
    for (const button of this.colorButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.color === color));
    }
    this.setTool("pen");
  }

  #toggle(tool, iconName, label) {
    return this.#action(`tool-${tool}`, iconName, label, () => this.setTool(tool), {
      "aria-pressed": String(this.tool === tool),
      dataset: { tool },
    });
  }

  #action(testid, iconName, label, onClick, attributes = {}) {
    return h(
      "button",
      {
        type: "button",
        class: "cv-btn cv-icon-btn",
        "aria-label": this.#t(label),
        title: this.#t(label),
        "data-testid": testid,
        on: { click: onClick },
        ...attributes,
      },
      icon(iconName),
    );
  }
}
