/**
 * The widget's language on the demo pages: `?lang=xx` (set by the switch in the header) goes
 * to the widget's script tag as `data-lang` before widget.js runs (module scripts run in
 * document order, so a page's own module placed before the widget's tag is in time).
 */

import { LANGUAGES, pickLanguage } from "../shared/i18n.js";

/**
 * Apply `?lang=` to the widget's tag and to `switcher` (a `<select>` of languages showing, when
 * none was chosen, the one the widget takes by itself: the browser's, else `fallback`, the
 * page's); choosing another reloads the page with it. Returns the chosen language, or null.
 */
export function languageSwitch(switcher, fallback) {
  const chosen = new URLSearchParams(location.search).get("lang");
  const valid = LANGUAGES.includes(chosen) ? chosen : null;
  if (valid) {
    const widgetTag = document.querySelector('script[src$="/client/widget.js"]');
    if (widgetTag) widgetTag.dataset.lang = valid;
  }
  switcher.value = valid ?? pickLanguage(navigator.languages ?? [navigator.language], fallback);
  switcher.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("lang", switcher.value);
    location.assign(url);
  });
  return valid;
}
