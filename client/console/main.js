/**
 * The agent console's entry module (agent.html loads it): picks the language (`?lang=`, else
 * the browser's), loads it and the server's limits and settings (`GET /api/config`), then shows
 * the login form, or the console (console.js) for a stored agent token the server accepts. A
 * message in the URL's fragment (set when a token was rejected or the agent logged out) is shown
 * above the form.
 */

import { Api } from "../shared/api.js";
import { loadTranslator, pickLanguage } from "../shared/i18n.js";
import { CONFIG_PATH, mergeLimits } from "../shared/protocol.js";
import { Console } from "./console.js";
import { identifyAgent, showLogin, storedToken } from "./login.js";

const origin = location.origin;

async function main() {
  const root = document.getElementById("app");
  const params = new URLSearchParams(location.search);
  const lang = pickLanguage(params.get("lang"), navigator.languages ?? [navigator.language]);
  document.documentElement.lang = lang;
  const [t, config] = await Promise.all([
    loadTranslator(new URL("../locales/", import.meta.url), lang),
    new Api(origin).get(CONFIG_PATH).catch(() => ({})),
  ]);
  const limits = mergeLimits(config);
  document.title = t("agent.page_title");
  const start = (token, me) =>
    (window.covisorConsole = new Console({ t, token, me, root, limits, settings: config }));
  const login = (message) => showLogin({ t, origin, root, message, onLogin: start });
  const message = decodeURIComponent(location.hash.slice(1));
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  const token = storedToken.get();
  if (!token) return login(message);
  try {
    start(token, await identifyAgent(origin, token));
  } catch (error) {
    if (error.code === "offline") return login(t("error.offline"));
    storedToken.clear();
    login(t("agent.token_rejected"));
  }
}

main();
