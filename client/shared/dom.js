/**
 * Building DOM without HTML strings: `h(tag, attributes, ...children)` sets attributes and
 * properties and appends children, with text always added as text nodes. This is what keeps user
 * data (messages, names, file names) out of `innerHTML`. `icon(name)` draws the client's line
 * icons as inline SVG.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Create an element. `attributes`: `class`, `dataset` (object), `on` (event → listener),
 * `text` (textContent), booleans (set/removed as attributes, e.g. `hidden: true`), any other
 * key as an attribute (`aria-label`, `data-testid`, …). Children may be nodes, strings, or
 * null/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "on") {
      for (const [type, listener] of Object.entries(value))
        element.addEventListener(type, listener);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key === "text") {
      element.textContent = value;
    } else if (key === "class") {
      element.className = value;
    } else if (key === "value" || key === "checked" || key === "disabled") {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

const FILLED = new Set(["play", "pause"]);

const ICONS = {
  chat: "M4 5h16v11H9l-5 4z",
  close: "M6 6l12 12M18 6L6 18",
  send: "M4 12l16-8-6 16-2.5-6.5z",
  camera: "M4 8h4l2-3h4l2 3h4v11H4zM12 10a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z",
  image: "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 8.5a1 1 0 1 0 0 .1",
  phone: "M6 3h4l2 5-3 2a11 11 0 0 0 5 5l2-3 5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 4 5a2 2 0 0 1 2-2z",
  move: "M12 3v18M3 12h18M12 3L9 6M12 3l3 3M12 21l-3-3M12 21l3-3M3 12l3-3M3 12l3 3M21 12l-3-3M21 12l-3 3",
  pen: "M4 20l4-1L19 8l-3-3L5 16zM14 7l3 3",
  undo: "M9 6l-5 5 5 5M4 11h11a5 5 0 0 1 0 10h-3",
  trash: "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13",
  "zoom-in": "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4M8 11h6M11 8v6",
  "zoom-out": "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4M8 11h6",
  fit: "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
  play: "M7 4l13 8-13 8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  volume: "M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 0 1 0 6M18.5 6.5a7.5 7.5 0 0 1 0 11",
  retry: "M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5",
  back: "M15 5l-7 7 7 7",
  logout: "M10 5H5v14h5M14 8l4 4-4 4M18 12H9",
  "zoom-reset": "M4 12a8 8 0 1 0 2.3-5.7M4 4v5h5M9.5 9.5h5v5h-5z",
  download: "M12 4v11M7 10l5 5 5-5M5 20h14",
  follow: "M3 7V4h3M18 4h3v3M21 17v3h-3M6 20H3v-3M8 12h8M13 9l3 3-3 3",
  save: "M5 4h11l3 3v13H5zM8 4v5h7V4M8 20v-6h8v6",
  bell: "M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0",
  "bell-off": "M6 16V11a6 6 0 0 1 9-5.2M18 11v5l2 2H8M10 20a2 2 0 0 0 4 0M4 4l16 16",
  transfer: "M4 8h13M13 4l4 4-4 4M20 16H7M11 12l-4 4 4 4",
  note: "M5 4h14v11l-5 5H5zM14 20v-5h5M8 9h8M8 13h5",
  language: "M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18zM3 12h18M12 3c3.5 3.5 3.5 14.5 0 18M12 3c-3.5 3.5-3.5 14.5 0 18",
  verified: "M12 3l7 3v5c0 4.5-3 8.5-7 10-4-1.5-7-5.5-7-10V6zM8.5 12l2.5 2.5 4.5-5",
};

/** An inline SVG icon (decorative: `aria-hidden`); label the button that holds it instead. */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "cv-icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  if (FILLED.has(name)) {
    path.setAttribute("fill", "currentColor");
  } else {
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
  }
  svg.append(path);
  return svg;
}
