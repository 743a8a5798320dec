/**
 * The Webhooks panel of the agent console, for admins (PROTOCOL.md *Webhooks*): the shop's URLs
 * that are POSTed conversation events, with what their latest deliveries did; registering one
 * (a URL and the events it wants; its signing secret is shown once, to copy), sending it a test
 * `ping`, looking at its last deliveries (HTTP status or error, attempts, next retry), and
 * deleting it after a confirmation.
 *
 * Refusals are shown in the panel, by error code. The checks of the form and the wording of a
 * delivery's state are pure (`webhookProblem`, `deliveryState`), tested in node.
 */

import {
  AdminPanel,
  adminItem,
  adminForm,
  adminList,
  adminPanel,
  clearLines,
  confirmStep,
  errorLine,
  fillList,
  formActions,
  hideSecret,
  itemControl,
  openButton,
  rowNote,
  showSecret,
  submitButton,
} from "./admin-panel.js";
import { h } from "../../shared/dom.js";
import { errorText, formatTime } from "../../shared/i18n.js";

export const WEBHOOK_EVENTS = Object.freeze([
  "conversation.opened",
  "message.created",
  "message.translated",
  "conversation.closed",
  "conversation.rated",
  "offline_message.created",
  "conversion.tracked",
]);
export const MAX_URL = 2048;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The locale key of an event's label: `agent.webhooks.event_message_created`, … */
export function eventKey(event) {
  return `agent.webhooks.event_${String(event).replace(/\./g, "_")}`;
}

/**
 * What is wrong with a new webhook, as a locale key, or null when the server may have it: an
 * absolute `https:` URL (`http:` only on a loopback host, which a test server may allow) of at
 * most 2048 characters, and at least one known event. (The server decides whether the host is
 * public.)
 */
export function webhookProblem({ url, events }) {
  const text = String(url ?? "").trim();
  let parsed = null;
  try {
    parsed = new URL(text);
  } catch {
    parsed = null;
  }
  const loopback = parsed?.protocol === "http:" && LOOPBACK.has(parsed.hostname);
  const secure = parsed?.protocol === "https:" || loopback;
  if (!parsed || !secure || text.length > MAX_URL || parsed.username || parsed.password)
    return "agent.webhooks.invalid_url";
  const chosen = [...(events ?? [])];
  if (!chosen.length || chosen.some((e) => !WEBHOOK_EVENTS.includes(e)))
    return "agent.webhooks.no_events";
  return null;
}

/**
 * How a delivery stands, for a list: `{key, params, tone}` where `key` is a locale key,
 * `params` its placeholders (`status`: the HTTP status or the error, `count`: attempts, `time` of the
 * next try or of delivery, as given by `formatAt`) and `tone` `ok`, `wait` or `bad`.
 */
export function deliveryState(delivery, formatAt = String) {
  const status = delivery.last_status ?? delivery.last_error ?? "—";
  const count = delivery.attempts ?? 0;
  if (delivery.state === "delivered")
    return {
      key: "agent.webhooks.state_delivered",
      params: { status, count, time: formatAt(delivery.delivered_at) },
      tone: "ok",
    };
  if (delivery.state === "failed")
    return { key: "agent.webhooks.state_failed", params: { status, count }, tone: "bad" };
  if (!count) return { key: "agent.webhooks.state_queued", params: { count }, tone: "wait" };
  return {
    key: "agent.webhooks.state_retrying",
    params: { status, count, time: formatAt(delivery.next_attempt_at) },
    tone: "wait",
  };
}

/**
 * What `GET /api/webhooks` says of a hook's latest deliveries, worked out from them (newest
 * first): how many are in each state, and the newest.
 */
export function summarise(deliveries) {
  const counts = { pending: 0, delivered: 0, failed: 0 };
  for (const delivery of deliveries) counts[delivery.state] = (counts[delivery.state] ?? 0) + 1;
  return { deliveries: counts, last_delivery: deliveries[0] ?? null };
}

let nextId = 0;
/** A document-unique id for a label's `for`. */
const uid = (name) => `cv-webhooks-${name}-${++nextId}`;

export class WebhooksPanel extends AdminPanel {
  #hooks = [];
  #confirming = null;
  /** Whose deliveries are open, and what they are: `{id, deliveries}` or null. */
  #open = null;
  /** What the last action on a row said: `{id, text, error}` or null. */
  #rowMessage = null;

  /** @param {ConstructorParameters<typeof AdminPanel>[0]} options */
  constructor(options) {
    super(options, { errorPrefix: "agent.webhooks.error" });
    this.#build();
  }

  /** Load the webhooks (`GET /api/webhooks`) and draw them (`refresh`). */
  async load() {
    this.#hooks = (await this.api.get("/api/webhooks")).webhooks ?? [];
    if (this.#open && !this.#hooks.some((hook) => hook.id === this.#open.id)) this.#open = null;
    this.#render();
  }

  #build() {
    const t = this.t;
    this.error = errorLine("webhooks-error");
    this.secret = h("div", { class: "cv-secret", "data-testid": "webhooks-secret", hidden: true });
    this.addToggle = openButton({
      testid: "webhooks-add-toggle",
      text: t("agent.webhooks.add"),
      onClick: () => this.#openForm(this.form.hidden),
    });
    this.form = this.#createForm();
    this.list = adminList("webhooks");
    this.root = adminPanel(
      {
        name: "webhooks",
        className: "cv-webhooks",
        title: t("agent.webhooks.title"),
        intro: t("agent.webhooks.intro"),
        action: this.addToggle,
      },
      this.form,
      this.error,
      this.secret,
      this.list,
    );
  }

  #createForm() {
    const t = this.t;
    this.urlInput = h("input", {
      id: uid("url"),
      class: "cv-admin-input",
      type: "url",
      inputmode: "url",
      placeholder: "https://shop.example/covisor-webhook",
      "data-testid": "webhooks-url",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: MAX_URL,
      required: true,
    });
    this.eventBoxes = WEBHOOK_EVENTS.map((event) =>
      h("input", { type: "checkbox", value: event, "data-testid": `webhooks-event-${event}` }),
    );
    this.formError = errorLine("webhooks-form-error");
    this.submit = submitButton("webhooks-submit", t("agent.webhooks.create"));
    return adminForm(
      {
        testid: "webhooks-form",
        label: t("agent.webhooks.add"),
        onSubmit: () => this.#create(),
        onEscape: () => this.#openForm(false),
      },
      h(
        "div",
        { class: "cv-admin-field" },
        h("label", { for: this.urlInput.id, text: t("agent.webhooks.url") }),
        this.urlInput,
        h("p", { class: "cv-admin-hint", text: t("agent.webhooks.url_hint") }),
      ),
      h(
        "fieldset",
        { class: "cv-webhooks-events" },
        h("legend", { text: t("agent.webhooks.events") }),
        ...this.eventBoxes.map((box) =>
          h("label", { class: "cv-admin-check" }, box, t(eventKey(box.value))),
        ),
      ),
      this.formError,
      formActions(this.submit, {
        testid: "webhooks-cancel",
        text: t("agent.webhooks.cancel"),
        onClick: () => this.#openForm(false),
      }),
    );
  }

  #openForm(open) {
    this.form.hidden = !open;
    this.addToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.#clearMessages();
      this.urlInput.focus();
    } else {
      this.addToggle.focus();
    }
  }

  async #create() {
    const t = this.t;
    const fields = {
      url: this.urlInput.value.trim(),
      events: this.eventBoxes.filter((box) => box.checked).map((box) => box.value),
    };
    const problem = webhookProblem(fields);
    if (problem) {
      this.showError(t(problem), this.formError);
      (problem === "agent.webhooks.invalid_url" ? this.urlInput : this.eventBoxes[0]).focus();
      return;
    }
    this.#clearMessages();
    this.submit.disabled = true;
    try {
      const created = await this.api.post("/api/webhooks", fields);
      const { secret, ...hook } = created;
      this.form.reset();
      this.form.hidden = true;
      this.addToggle.setAttribute("aria-expanded", "false");
      this.#hooks = [...this.#hooks.filter((w) => w.id !== hook.id), hook];
      this.#render();
      this.#showSecret(hook, secret);
    } catch (error) {
      this.showError(errorText(t, error, "agent.webhooks.create_error"), this.formError);
      this.urlInput.focus();
    } finally {
      this.submit.disabled = false;
    }
  }

  /** The signing secret, once: a read-only field, selected, with a copy button. */
  #showSecret(hook, secret) {
    const t = this.t;
    showSecret(this.secret, {
      title: t("agent.webhooks.created", { url: hook.url }),
      label: t("agent.webhooks.secret"),
      value: secret,
      id: uid("secret"),
      note: t("agent.webhooks.shown_once"),
      texts: {
        copy: t("agent.webhooks.copy"),
        copied: t("agent.webhooks.copied"),
        copyFailed: t("agent.webhooks.copy_failed"),
        done: t("agent.webhooks.done"),
      },
      testids: {
        value: "webhooks-secret-value",
        copy: "webhooks-secret-copy",
        done: "webhooks-secret-done",
      },
      onDone: () => {
        hideSecret(this.secret);
        this.addToggle.focus();
      },
    });
  }

  #clearMessages() {
    clearLines(this.error, this.formError);
    this.notice("");
    this.#rowMessage = null;
    this.list.querySelector("[data-testid=webhooks-row-message]")?.remove();
  }

  #render(focus = null) {
    fillList(
      this.list,
      this.#hooks.map((hook) => this.#row(hook)),
      this.t("agent.webhooks.empty"),
    );
    if (focus) itemControl(this.list, "webhook", focus.id, focus.testid)?.focus();
  }

  #row(hook) {
    const t = this.t;
    const counts = hook.deliveries ?? { pending: 0, delivered: 0, failed: 0 };
    const open = this.#open?.id === hook.id;
    const confirming = this.#confirming === hook.id;
    const last = hook.last_delivery ? this.#stateNote(hook.last_delivery) : null;
    return adminItem(
      {
        class: "cv-admin-item cv-webhook",
        "data-testid": "webhook",
        dataset: { webhookId: hook.id },
      },
      {
        text: [
          h("strong", {
            class: "cv-admin-name cv-webhook-url",
            "data-testid": "webhook-url",
            text: hook.url,
          }),
          h(
            "span",
            { class: "cv-webhook-events" },
            ...hook.events.map((event) =>
              h("span", { class: "cv-admin-tag", text: t(eventKey(event)) }),
            ),
          ),
          h("span", {
            class: "cv-list-sub",
            "data-testid": "webhook-summary",
            text: t("agent.webhooks.summary", counts),
          }),
          last
            ? h(
                "span",
                { class: "cv-list-sub", "data-testid": "webhook-last" },
                t("agent.webhooks.last"),
                " ",
                last,
              )
            : null,
        ],
      },
      h(
        "div",
        { class: "cv-admin-controls" },
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "webhook-test",
          "aria-label": t("agent.webhooks.test_label", { url: hook.url }),
          text: t("agent.webhooks.test"),
          on: { click: (event) => this.#test(hook, event.currentTarget) },
        }),
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "webhook-deliveries-toggle",
          "aria-expanded": String(open),
          text: t(open ? "agent.webhooks.deliveries_hide" : "agent.webhooks.deliveries"),
          on: { click: () => this.#toggleDeliveries(hook) },
        }),
        h("button", {
          type: "button",
          class: "cv-btn",
          "data-testid": "webhook-delete",
          "aria-expanded": String(confirming),
          "aria-label": t("agent.webhooks.delete_label", { url: hook.url }),
          text: t("agent.webhooks.delete"),
          on: { click: () => this.#askDelete(hook) },
        }),
      ),
      confirming ? this.#deleteConfirm(hook) : null,
      this.#rowMessage?.id === hook.id ? rowNote("webhooks-row-message", this.#rowMessage) : null,
      open ? this.#deliveryList(this.#open.deliveries) : null,
    );
  }

  #stateNote(delivery) {
    const { key, params, tone } = deliveryState(delivery, (at) => formatTime(this.t, at));
    return h("span", {
      class: `cv-webhook-state cv-webhook-state--${tone}`,
      "data-testid": "webhook-state",
      dataset: { state: delivery.state },
      text: this.t(key, params),
    });
  }

  #deliveryList(deliveries) {
    const t = this.t;
    if (!deliveries.length)
      return h("p", {
        class: "cv-admin-hint",
        "data-testid": "webhook-deliveries",
        text: t("agent.webhooks.no_deliveries"),
      });
    return h(
      "ol",
      {
        class: "cv-webhook-deliveries",
        "data-testid": "webhook-deliveries",
        "aria-label": t("agent.webhooks.deliveries"),
      },
      ...deliveries.map((delivery) =>
        h(
          "li",
          { class: "cv-webhook-delivery", "data-testid": "webhook-delivery" },
          h("span", { class: "cv-webhook-when", text: formatTime(t, delivery.created_at) }),
          h("span", {
            class: "cv-admin-shortcut",
            text: t(eventKey(delivery.event)),
          }),
          this.#stateNote(delivery),
        ),
      ),
    );
  }

  async #toggleDeliveries(hook) {
    this.#clearMessages();
    if (this.#open?.id === hook.id) {
      this.#open = null;
      this.#render({ id: hook.id, testid: "webhook-deliveries-toggle" });
      return;
    }
    await this.#loadDeliveries(hook);
  }

  async #loadDeliveries(hook) {
    try {
      const path = `/api/webhooks/${encodeURIComponent(hook.id)}/deliveries`;
      const answer = await this.api.get(path);
      const deliveries = answer.deliveries ?? [];
      this.#open = { id: hook.id, deliveries };
      const summary = summarise(deliveries);
      this.#hooks = this.#hooks.map((w) => (w.id === hook.id ? { ...w, ...summary } : w));
      this.#render({ id: hook.id, testid: "webhook-deliveries-toggle" });
    } catch (error) {
      this.#refused(hook, error, "webhook-deliveries-toggle");
    }
  }

  async #test(hook, button) {
    this.#clearMessages();
    button.disabled = true;
    try {
      await this.api.post(`/api/webhooks/${encodeURIComponent(hook.id)}/test`);
      this.#rowMessage = { id: hook.id, text: this.t("agent.webhooks.test_sent"), error: false };
      // The queued ping shows in the row's summary (and its deliveries, when open).
      const path = `/api/webhooks/${encodeURIComponent(hook.id)}/deliveries`;
      const deliveries = (await this.api.get(path)).deliveries ?? [];
      const summary = summarise(deliveries);
      this.#hooks = this.#hooks.map((w) => (w.id === hook.id ? { ...w, ...summary } : w));
      if (this.#open?.id === hook.id) this.#open = { id: hook.id, deliveries };
      this.#render({ id: hook.id, testid: "webhook-test" });
    } catch (error) {
      this.#refused(hook, error, "webhook-test");
    } finally {
      button.disabled = false;
    }
  }

  #askDelete(hook) {
    this.#clearMessages();
    this.#confirming = this.#confirming === hook.id ? null : hook.id;
    this.#render({
      id: hook.id,
      testid: this.#confirming ? "webhook-delete-confirm" : "webhook-delete",
    });
  }

  #deleteConfirm(hook) {
    const t = this.t;
    return confirmStep({
      label: t("agent.webhooks.delete_label", { url: hook.url }),
      question: t("agent.webhooks.delete_confirm", { url: hook.url }),
      confirm: {
        testid: "webhook-delete-confirm",
        text: t("agent.webhooks.delete_submit"),
        onClick: (event) => this.#delete(hook, event.currentTarget),
      },
      cancel: { testid: "webhook-delete-cancel", text: t("agent.webhooks.cancel") },
      onCancel: () => {
        this.#confirming = null;
        this.#render({ id: hook.id, testid: "webhook-delete" });
      },
    });
  }

  async #delete(hook, button) {
    button.disabled = true;
    try {
      await this.api.delete(`/api/webhooks/${encodeURIComponent(hook.id)}`);
      this.#confirming = null;
      if (this.#open?.id === hook.id) this.#open = null;
      this.#hooks = this.#hooks.filter((w) => w.id !== hook.id);
      this.#render();
      this.addToggle.focus();
    } catch (error) {
      this.#confirming = null;
      this.#refused(hook, error, "webhook-delete");
    }
  }

  #refused(hook, error, testid) {
    const text = errorText(this.t, error, "agent.webhooks.change_error");
    this.#rowMessage = { id: hook.id, text, error: true };
    this.notice(text);
    this.#render({ id: hook.id, testid });
  }
}
