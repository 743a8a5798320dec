/**
 * Agent login: the token is checked with `GET /api/me` (it must belong to an agent) and kept in
 * localStorage so the console opens directly next time; a token the server rejects is dropped.
 */

import { Api } from "./api.js";
import { h } from "./dom.js";
import { errorText } from "./i18n.js";

const TOKEN_KEY = "covisor:agent-token";

export const storedToken = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (token) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

/** `GET /api/me` for `token`; rejects with code `forbidden` when it is not an agent's. */
export async function identifyAgent(origin, token) {
  const me = await new Api(origin, token).get("/api/me");
  if (me.role !== "agent") throw Object.assign(new Error("not an agent"), { code: "forbidden" });
  return me;
}

/** Show the login form in `root`; calls `onLogin(token, me)` once a valid agent token is given. */
export function showLogin({ t, origin, root, message, onLogin }) {
  const input = h("input", {
    id: "cv-token",
    type: "password",
    class: "cv-token-input",
    autocomplete: "current-password",
    "data-testid": "agent-token-input",
    required: true,
  });
  const error = h("p", {
    class: "cv-form-message",
    role: "alert",
    "data-testid": "login-error",
    text: message,
  });
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = "";
    const token = input.value.trim();
    try {
      const me = await identifyAgent(origin, token);
      storedToken.set(token);
      onLogin(token, me);
    } catch (failure) {
      error.textContent = errorText(t, failure, "agent.login_error");
    }
  };
  root.replaceChildren(
    h(
      "form",
      { class: "cv-login cv-theme", "data-testid": "agent-login-form", on: { submit } },
      h("h1", { text: t("agent.login_title") }),
      h("label", { for: "cv-token", text: t("agent.token_label") }),
      input,
      h("button", {
        type: "submit",
        class: "cv-btn cv-btn--primary",
        "data-testid": "agent-login",
        text: t("agent.login"),
      }),
      error,
    ),
  );
  input.focus();
}
