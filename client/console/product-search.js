/**
 * The agent's product search, in the console's catalogue section: search-as-you-type over the
 * shop's feed (`GET /api/catalogue/products`), an "In stock" filter and a brand filter (`GET
 * /api/catalogue/brands`), results with thumbnail, title, brand, price and availability.
 * Choosing one shows it in the shared viewer of the open conversation (`onShow` gets the
 * `viewer.show` payload `{product_id, variant_id}`); its "Send" button (or Shift+Enter) sends it
 * into the chat as a card the shopper can add to the cart (`onSend`, the same payload for
 * `product.send`).
 *
 * The search box is an ARIA combobox over the results' listbox: ArrowDown/ArrowUp (Home/End)
 * move the active result, Enter shows it (with none active, it searches at once), Shift+Enter
 * sends it, Escape clears the search. A click shows a result too.
 *
 * DOM-free and tested in node: `searchPath`, `LatestSearch` (the debounce, and answers
 * overtaken by a newer request dropped) and `nextActive`.
 */

import { serverUrl } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { priceElement } from "../shared/product-card.js";
import { availabilityOf, pictureUrl, priceView, showHit } from "../shared/product.js";
import { scheduleWithTimeout } from "../shared/schedule.js";

/** Milliseconds of quiet typing before a search goes out. */
export const SEARCH_DELAY_MS = 150;
/** Results asked for at once (the server allows 1 to 50). */
export const RESULT_LIMIT = 20;

/** The search request for `{q, inStock, brand, limit}`. */
export function searchPath({ q = "", inStock = false, brand = "", limit = RESULT_LIMIT } = {}) {
  const params = new URLSearchParams({ q: String(q).trim() });
  if (inStock) params.set("in_stock", "1");
  if (brand) params.set("brand", brand);
  params.set("limit", String(limit));
  return `/api/catalogue/products?${params}`;
}

/**
 * Search-as-you-type: `request(query)` runs `run(query)` once the typing paused for `delay` ms
 * (at once with `{now: true}`), and gives `onResults` (or `onError`) only the answer to the
 * latest request: an answer overtaken by a newer request is dropped, however late it comes.
 */
export class LatestSearch {
  #run;
  #onResults;
  #onError;
  #delay;
  #schedule;
  #cancel = null;
  #latest = 0;

  /**
   * @param {object} options
   * @param {(query: object) => Promise<unknown>} options.run
   * @param {(results: unknown, query: object) => void} options.onResults
   * @param {(error: unknown, query: object) => void} [options.onError]
   * @param {number} [options.delay]
   * @param {import("../shared/schedule.js").Schedule} [options.schedule]
   */
  constructor({
    run,
    onResults,
    onError = () => {},
    delay = SEARCH_DELAY_MS,
    schedule = scheduleWithTimeout,
  }) {
    this.#run = run;
    this.#onResults = onResults;
    this.#onError = onError;
    this.#delay = delay;
    this.#schedule = schedule;
  }

  /** Whether a request waits for its delay to pass. */
  get pending() {
    return this.#cancel !== null;
  }

  request(query, { now = false } = {}) {
    this.#latest += 1;
    const number = this.#latest;
    this.#cancel?.();
    this.#cancel = null;
    const go = () => {
      this.#cancel = null;
      this.#send(number, query);
    };
    if (now) go();
    else this.#cancel = this.#schedule(go, this.#delay);
  }

  async #send(number, query) {
    let results;
    try {
      results = await this.#run(query);
    } catch (error) {
      if (number === this.#latest) this.#onError(error, query);
      return;
    }
    if (number === this.#latest) this.#onResults(results, query);
  }
}

/** The active result after `key` among `count` (-1: none active); no wrapping around. */
export function nextActive(active, count, key) {
  if (count <= 0) return -1;
  switch (key) {
    case "ArrowDown":
      return Math.min(active + 1, count - 1);
    case "ArrowUp":
      return Math.max(active - 1, 0);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return Math.min(active, count - 1);
  }
}

let searches = 0;

export class ProductSearch {
  #t;
  #api;
  #origin;
  #onShow;
  #onSend;
  #search;
  #results = [];
  #active = -1;
  #enabled = false;
  #listId;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's REST client
   * @param {string} options.origin server origin, for picture URLs
   * @param {(payload: object) => void} options.onShow show a product in the viewer
   * @param {(payload: object) => void} options.onSend send a product into the chat
   * @param {import("../shared/schedule.js").Schedule} [options.schedule]
   */
  constructor({ t, api, origin, onShow, onSend, schedule = scheduleWithTimeout }) {
    this.#t = t;
    this.#api = api;
    this.#origin = origin;
    this.#onShow = onShow;
    this.#onSend = onSend;
    this.#listId = `cv-product-results-${++searches}`;
    this.#search = new LatestSearch({
      run: (query) => this.#api.get(searchPath(query)),
      onResults: (answer, query) => this.#showResults(answer?.products ?? [], query),
      onError: (error) => this.#showError(error),
      schedule,
    });
    this.#build();
  }

  #build() {
    const t = this.#t;
    const inputId = `${this.#listId}-input`;
    this.input = h("input", {
      type: "search",
      id: inputId,
      class: "cv-search-input",
      role: "combobox",
      autocomplete: "off",
      spellcheck: "false",
      enterkeyhint: "search",
      "aria-autocomplete": "list",
      "aria-controls": this.#listId,
      "aria-expanded": "false",
      placeholder: t("product.search.placeholder"),
      "data-testid": "product-search",
      on: {
        input: () => this.#changed(),
        keydown: (event) => this.#onKey(event),
      },
    });
    this.inStock = h("input", {
      type: "checkbox",
      "data-testid": "product-in-stock",
      on: { change: () => this.#changed({ now: true }) },
    });
    this.brand = h(
      "select",
      {
        class: "cv-select",
        "data-testid": "product-brand-filter",
        "aria-label": t("product.search.brand"),
        on: { change: () => this.#changed({ now: true }) },
      },
      h("option", { value: "", text: t("product.search.all_brands") }),
    );
    this.status = h("p", {
      class: "cv-search-status",
      role: "status",
      "data-testid": "product-search-status",
    });
    this.list = h("ul", {
      class: "cv-results",
      id: this.#listId,
      role: "listbox",
      "aria-label": t("product.search.results"),
      "data-testid": "product-results",
    });
    this.element = h(
      "div",
      { class: "cv-product-search", "data-testid": "product-search-panel" },
      h("label", {
        class: "cv-visually-hidden",
        for: inputId,
        text: t("product.search.label"),
      }),
      h(
        "div",
        { class: "cv-search-bar" },
        this.input,
        h(
          "div",
          { class: "cv-search-filters" },
          h("label", { class: "cv-search-check" }, this.inStock, t("product.search.in_stock")),
          this.brand,
        ),
      ),
      h("p", { class: "cv-search-hint", text: t("agent.commerce.send_hint") }),
      this.status,
      this.list,
    );
  }

  /** Load the brands and list the products (an empty search lists them by title). */
  async start() {
    this.#search.request(this.#query(), { now: true });
    try {
      const { brands = [] } = await this.#api.get("/api/catalogue/brands");
      this.brand.append(
        ...brands.map(({ brand, products }) =>
          h("option", { value: brand, text: `${brand} (${products})` }),
        ),
      );
    } catch {
      // The search says why it cannot list products; without brands the filter stays empty.
    }
  }

  /** Whether a result can be shown now (a conversation is open and not closed). */
  setEnabled(enabled) {
    if (enabled === this.#enabled) return;
    this.#enabled = enabled;
    for (const option of this.list.children) {
      if (option.dataset.testid === "product-result") this.#markEnabled(option);
    }
  }

  #markEnabled(option) {
    if (this.#enabled) option.removeAttribute("aria-disabled");
    else option.setAttribute("aria-disabled", "true");
  }

  #query() {
    return { q: this.input.value, inStock: this.inStock.checked, brand: this.brand.value };
  }

  #changed({ now = false } = {}) {
    this.#search.request(this.#query(), { now });
  }

  #onKey(event) {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const count = this.#results.length;
    if (["ArrowDown", "ArrowUp"].includes(event.key)) {
      event.preventDefault();
      this.#setActive(nextActive(this.#active, count, event.key));
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.#active >= 0 && !this.#search.pending) {
        this.#choose(this.#active, event.shiftKey ? this.#onSend : this.#onShow);
      } else this.#changed({ now: true });
    } else if (event.key === "Escape") {
      if (!this.input.value && this.#active < 0) return;
      event.preventDefault();
      event.stopPropagation();
      this.input.value = "";
      this.#changed({ now: true });
    }
  }

  #setActive(index) {
    this.#active = index;
    [...this.list.children].forEach((option, i) => {
      if (option.dataset.testid === "product-result") {
        option.setAttribute("aria-selected", String(i === index));
      }
    });
    const option = index >= 0 ? this.list.children[index] : null;
    if (option) {
      this.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView?.({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  /** Show result `index` in the viewer, or give it to `action` (`onSend`). */
  #choose(index, action = this.#onShow) {
    const hit = this.#results[index];
    if (!hit) return;
    if (!this.#enabled) {
      this.#say(this.#t("product.search.no_conversation"));
      return;
    }
    action(showHit(hit));
  }

  #say(text, kind = "info") {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  #showResults(products, query) {
    const t = this.#t;
    this.#results = products;
    this.list.replaceChildren(...products.map((hit, index) => this.#option(hit, index)));
    this.input.setAttribute("aria-expanded", String(products.length > 0));
    this.#setActive(products.length > 0 && query.q.trim() ? 0 : -1);
    if (products.length === 0) {
      const filtered = query.q.trim() || query.inStock || query.brand;
      this.#say(t(filtered ? "product.search.no_match" : "product.search.empty"));
    } else if (products.length >= RESULT_LIMIT) {
      this.#say(t("product.search.more", { count: products.length }));
    } else {
      this.#say(t("product.search.found", { count: products.length }));
    }
  }

  #showError(error) {
    this.#results = [];
    this.list.replaceChildren();
    this.input.setAttribute("aria-expanded", "false");
    this.#setActive(-1);
    const unavailable = error?.code === "not_found";
    const text = unavailable ? this.#t("product.search.unavailable") : errorText(this.#t, error);
    this.#say(text, "error");
  }

  #option(hit, index) {
    const t = this.#t;
    const price = priceView(hit, hit.currency, t.lang);
    const availability = availabilityOf(hit.availability);
    const details = [hit.brand, hit.color, hit.size].filter(Boolean).join(" · ");
    const option = h(
      "li",
      {
        id: `${this.#listId}-${index}`,
        class: "cv-result",
        role: "option",
        "aria-selected": "false",
        "data-testid": "product-result",
        dataset: { productId: hit.id, variantId: hit.variant_id },
        on: {
          mousedown: (event) => event.preventDefault(),
          click: () => {
            this.#setActive(index);
            this.#choose(index);
          },
        },
      },
      hit.picture
        ? h("img", {
            class: "cv-result-thumb",
            src: serverUrl(this.#origin, pictureUrl(hit.picture.id)),
            alt: "",
            loading: "lazy",
          })
        : h("span", { class: "cv-result-thumb" }),
      h(
        "span",
        { class: "cv-result-text" },
        h("span", {
          class: "cv-result-title",
          "data-testid": "product-result-title",
          text: hit.title,
        }),
        details ? h("span", { class: "cv-result-details", text: details }) : null,
        h(
          "span",
          { class: "cv-result-meta" },
          priceElement(t, price, "product-result-price"),
          h("span", {
            class: "cv-availability",
            dataset: { availability },
            text: t(`product.availability.${availability}`),
          }),
        ),
      ),
      h("button", {
        type: "button",
        class: "cv-btn cv-result-send",
        tabindex: "-1",
        "data-testid": "product-result-send",
        text: t("agent.commerce.send"),
        on: {
          click: (event) => {
            event.stopPropagation();
            this.#setActive(index);
            this.#choose(index, this.#onSend);
          },
        },
      }),
    );
    this.#markEnabled(option);
    return option;
  }
}
