/**
 * Agent login: with an e-mail and password (`POST /api/auth/login` gives a session token), or
 * with an API token (from `covisor agents add`). Either token is checked with `GET /api/me` (it
 * must belong to an agent) and kept in localStorage so the console opens directly next time; a
 * token the server rejects is dropped. `logOut` ends the session on the server and forgets it.
 */

import { Api } from "../shared/api.js";
import { h } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";

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

/** `POST /api/auth/login`: a new session token for this e-mail and password. */
export async function logInWithPassword(origin, email, password) {
  const answer = await new Api(origin).post("/api/auth/login", { email, password });
  return answer.token;
}

/**
 * End the console session of `token` (`POST /api/auth/logout`; a token of `covisor agents add`
 * stays valid for scripts) and forget the stored token. Never rejects: offline or refused, the
 * token is forgotten here all the same.
 */
export async function logOut(origin, token) {
  try {
    if (token) await new Api(origin, token).post("/api/auth/logout");
  } catch {
    // Forgetting the token is what logging out means for this browser; the server's session
    // then ends with a password reset or stays until then.
  } finally {
    storedToken.clear();
  }
}

/**
 * Back to the login form: forget the stored token and reload the console, which then shows
 * `message` (carried in the URL's fragment) above the form.
 */
export function reloadLoggedOut(message = "") {
  storedToken.clear();
  location.hash = message ? `#${encodeURIComponent(message)}` : "";
  location.reload();
}

function field(id, label, attributes) {
  const input = h("input", { id, class: "cv-token-input", required: true, ...attributes });
  return [h("label", { for: id, text: label }), input];
}

function switchLink(text, testid, onClick) {
  return h("button", {
    type: "button",
    class: "cv-login-switch",
    "data-testid": testid,
    text,
    on: { click: onClick },
  });
}

/**
 * Show the login form in `root`, e-mail and password first (`mode` "token" starts with the API
 * token form); calls `onLogin(token, me)` once an agent logged in.
 */
export function showLogin({ t, origin, root, message, onLogin, mode = "password" }) {
  const error = h("p", {
    class: "cv-form-message",
    role: "alert",
    "data-testid": "login-error",
    text: message,
  });
  const finish = async (token) => {
    const me = await identifyAgent(origin, token);
    storedToken.set(token);
    onLogin(token, me);
  };
  const form = (testid, submit, ...children) =>
    h(
      "form",
      {
        class: "cv-login cv-theme",
        "data-testid": testid,
        on: {
          submit: async (event) => {
            event.preventDefault();
            error.textContent = "";
            await submit();
          },
        },
      },
      h("h1", { text: t("agent.login_title") }),
      ...children,
      error,
    );

  const passwordForm = () => {
    const [emailLabel, email] = field("cv-email", t("agent.email_label"), {
      type: "email",
      autocomplete: "username",
      "data-testid": "agent-email-input",
    });
    const [passwordLabel, password] = field("cv-password", t("agent.password_label"), {
      type: "password",
      autocomplete: "current-password",
      "data-testid": "agent-password-input",
    });
    const submit = async () => {
      try {
        await finish(await logInWithPassword(origin, email.value.trim(), password.value));
      } catch (failure) {
        error.textContent = errorText(t, failure, "agent.password_error");
      }
    };
    return [
      form(
        "agent-password-form",
        submit,
        emailLabel,
        email,
        passwordLabel,
        password,
        h("button", {
          type: "submit",
          class: "cv-btn cv-btn--primary",
          "data-testid": "agent-password-login",
          text: t("agent.login"),
        }),
        switchLink(t("agent.use_token"), "agent-use-token", () => render("token")),
      ),
      email,
    ];
  };

  const tokenForm = () => {
    const [tokenLabel, input] = field("cv-token", t("agent.token_label"), {
      type: "password",
      autocomplete: "current-password",
      "data-testid": "agent-token-input",
    });
    const submit = async () => {
      try {
        await finish(input.value.trim());
      } catch (failure) {
        error.textContent = errorText(t, failure, "agent.login_error");
      }
    };
    return [
      form(
        "agent-login-form",
        submit,
        tokenLabel,
        input,
        h("button", {
          type: "submit",
          class: "cv-btn cv-btn--primary",
          "data-testid": "agent-login",
          text: t("agent.login"),
        }),
        switchLink(t("agent.use_password"), "agent-use-password", () => render("password")),
      ),
      input,
    ];
  };

  const render = (which, keepMessage = false) => {
    const [shown, first] = which === "token" ? tokenForm() : passwordForm();
    if (!keepMessage) error.textContent = "";
    root.replaceChildren(shown);
    first.focus();
  };
  render(mode, true);
}
