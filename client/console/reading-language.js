/**
 * The language the agent reads, in the console's top bar (PROTOCOL.md "Translation"): shoppers'
 * messages are translated into it by the shop's engine, the agent's messages from it. Shown only
 * when the server translates (`GET /api/translation`), with the languages its engine pairs; the
 * engine's pairs are listed for the agent (and admins) beside it. An agent who never chose gets
 * the console's own language once, when the engine offers it; "No translation" is a choice the
 * server keeps like any other.
 */

import { h, icon } from "../shared/dom.js";
import { errorText, languageName } from "../shared/i18n.js";

const CHOSEN = "covisor.reading-language-chosen";

/** The languages of the engine's pairs, sorted by name in `lang`. */
export function pairLanguages(pairs, lang) {
  const codes = new Set(pairs.flatMap((pair) => [pair.source, pair.target]));
  return [...codes].sort((a, b) => languageName(lang, a).localeCompare(languageName(lang, b)));
}

export class ReadingLanguage {
  #t;
  #api;
  #me;
  #onNotice;
  #onChange;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {{id: string}} options.me `GET /api/me`
   * @param {(text: string) => void} options.onNotice shows an error in the console's notice
   * @param {() => void} [options.onChange] the language changed (messages are drawn again)
   */
  constructor({ t, api, me, onNotice, onChange = () => {} }) {
    this.#t = t;
    this.#api = api;
    this.#me = me;
    this.#onNotice = onNotice;
    this.#onChange = onChange;
    this.select = h("select", {
      class: "cv-status-select",
      "data-testid": "reading-language",
      "aria-describedby": "cv-translation-pairs",
      on: { change: () => this.choose(this.select.value || null) },
    });
    this.pairs = h("span", { id: "cv-translation-pairs", class: "cv-visually-hidden" });
    this.element = h(
      "label",
      { class: "cv-reading-language", hidden: true },
      icon("language"),
      h("span", { class: "cv-visually-hidden", text: t("agent.translation.language") }),
      this.select,
      this.pairs,
    );
  }

  /** Ask the server whether it translates; show the choice if it does. */
  async load() {
    let offer;
    try {
      offer = await this.#api.get("/api/translation");
    } catch {
      return;
    }
    if (!offer.enabled) return;
    const t = this.#t;
    const languages = pairLanguages(offer.pairs ?? [], t.lang);
    this.select.replaceChildren(
      h("option", { value: "", text: t("agent.translation.none") }),
      ...languages.map((code) => h("option", { value: code, text: languageName(t.lang, code) })),
    );
    this.pairs.textContent = offer.available
      ? t("agent.translation.pairs", {
          pairs: (offer.pairs ?? [])
            .map((p) => `${languageName(t.lang, p.source)} → ${languageName(t.lang, p.target)}`)
            .join(", "),
        })
      : t("agent.translation.unavailable");
    this.select.title = this.pairs.textContent;
    this.element.hidden = false;
    const key = `${CHOSEN}:${this.#me.id}`;
    if (offer.language == null && !localStorage.getItem(key) && languages.includes(t.lang)) {
      await this.choose(t.lang);
    } else {
      this.select.value = offer.language ?? "";
      this.#onChange();
    }
  }

  /** The language the agent reads now (null: none, or translation is off). */
  get language() {
    return this.element.hidden ? null : this.select.value || null;
  }

  /** The agent reads `language` from now on (null: no translation); the server keeps it. */
  async choose(language) {
    this.select.value = language ?? "";
    this.#onChange();
    try {
      await this.#api.request("PUT", "/api/me/language", { language });
      localStorage.setItem(`${CHOSEN}:${this.#me.id}`, "1");
    } catch (error) {
      this.#onNotice(errorText(this.#t, error));
    }
  }
}
