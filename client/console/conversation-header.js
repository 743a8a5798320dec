/**
 * The head of the selected conversation in the console: the shopper's name, page and presence,
 * who they are (verified or not, e-mail, device, language, a message left after hours), their
 * rating, and the buttons "PIN for a caller", Transfer, Note, Transcript (transcript.js: any
 * conversation, a closed one too) and Close. Close takes two presses:
 * the first arms it for a few seconds (`data-armed="true"`), the second closes the
 * conversation (`POST /api/conversations/{id}/close`).
 */

import { h, icon } from "../shared/dom.js";
import { errorText } from "../shared/i18n.js";
import { pageLabel, safePageUrl, visitorBadges } from "./lists.js";
import { shopperName, tagDot } from "./shopper-tag.js";

const CLOSE_ARM_MS = 4000;

export class ConversationHeader {
  #t;
  #api;
  #settings;
  #selected;
  #onNotice;
  #me;
  #disarmTimer = null;

  /**
   * @param {object} options
   * @param {Function} options.t translator
   * @param {import("../shared/api.js").Api} options.api the agent's API client
   * @param {object} options.settings `GET /api/config` (its `email`)
   * @param {{id: string}} options.me `GET /api/me`
   * @param {() => import("../shared/conversation-session.js").ConversationSession|null}
   *   options.selected the selected conversation's session
   * @param {() => void} options.onIssuePin "PIN for a caller" was pressed
   * @param {() => void} options.onTransfer Transfer was pressed
   * @param {() => void} options.onNote Note was pressed
   * @param {() => void} options.onTranscript Transcript was pressed
   * @param {(text: string) => void} options.onNotice shows an error in the console's notice
   */
  constructor({
    t,
    api,
    settings,
    me,
    selected,
    onIssuePin,
    onTransfer,
    onNote,
    onTranscript,
    onNotice,
  }) {
    this.#t = t;
    this.#api = api;
    this.#settings = settings;
    this.#me = me;
    this.#selected = selected;
    this.#onNotice = onNotice;
    /** Where the PIN for a caller shows: right under the button that issued it. */
    this.issueSlot = h("div", { class: "cv-issue-slot" });
    this.title = h("h2", {
      class: "cv-conv-title",
      "data-testid": "conversation-title",
      text: t("agent.no_conversation"),
    });
    this.page = h("a", {
      class: "cv-conv-page",
      target: "_blank",
      rel: "noopener noreferrer",
      "data-testid": "conversation-page",
    });
    this.presence = h("span", {
      class: "cv-conv-presence",
      "data-testid": "conversation-presence",
    });
    this.issueButton = actionButton("agent-pin-issue", "phone", t("agent.issue_pin"), onIssuePin);
    this.transferButton = actionButton(
      "conversation-transfer",
      "transfer",
      t("agent.transfer"),
      onTransfer,
    );
    this.noteButton = actionButton("conversation-note", "note", t("agent.note"), onNote);
    this.transcriptButton = actionButton(
      "conversation-transcript",
      "download",
      t("agent.history.transcript"),
      onTranscript,
    );
    this.visitor = h("div", {
      class: "cv-conv-visitor",
      "data-testid": "conversation-visitor",
    });
    this.rating = h("p", {
      class: "cv-conv-rating",
      "data-testid": "conversation-rating",
      hidden: true,
    });
    this.closeButton = h("button", {
      type: "button",
      class: "cv-btn",
      "data-testid": "conversation-close",
      disabled: true,
      text: t("agent.close_conversation"),
      on: { click: () => this.#closeConversation() },
    });
    this.element = h(
      "div",
      { class: "cv-conv-header" },
      h(
        "div",
        { class: "cv-conv-heading" },
        this.title,
        h("p", { class: "cv-conv-sub" }, this.presence, this.page),
        this.visitor,
        this.rating,
      ),
      this.issueButton,
      this.transferButton,
      this.noteButton,
      this.transcriptButton,
      this.closeButton,
      this.issueSlot,
    );
  }

  /** Show `session` (null: none selected); `summary` is its conversation summary, if known. */
  render(session, summary) {
    const t = this.#t;
    const state = session?.state;
    const id = session?.conversationId;
    this.title.replaceChildren(
      ...(state ? [tagDot(id), shopperName(t, state.name, id)] : [t("agent.no_conversation")]),
    );
    const url = safePageUrl(state?.page);
    this.page.textContent = pageLabel(state?.page);
    if (url) this.page.href = url;
    else this.page.removeAttribute("href");
    let presence = "";
    let shown = "none";
    if (state?.status === "closed") {
      presence = t(this.#mine(state) ? "agent.closed" : "agent.history.read_only");
      shown = "closed";
    } else if (session?.present.size) [presence, shown] = [t("agent.shopper_online"), "online"];
    else if (session?.departed.size) [presence, shown] = [t("agent.shopper_offline"), "offline"];
    this.presence.textContent = presence;
    this.presence.dataset.online = String(shown === "online");
    this.presence.dataset.presence = shown;
    const open = Boolean(state) && state.status !== "closed";
    this.issueButton.disabled = !open;
    this.closeButton.disabled = !open;
    this.transferButton.disabled = !open;
    this.noteButton.disabled = !state || (state.status === "closed" && !this.#mine(state));
    this.transcriptButton.disabled = !state;
    this.#renderVisitor(session, summary);
  }

  /** The conversation is (or was, once closed) this agent's: its notes are theirs to add. */
  #mine(state) {
    return state.agent?.id === this.#me.id;
  }

  /** Who the shopper is: verified or not, e-mail, device, language; and their rating. */
  #renderVisitor(session, summary) {
    const t = this.#t;
    const visitor = session?.state.visitor ?? summary?.visitor;
    const email = visitor?.email
      ? h("a", {
          class: "cv-conv-email",
          href: `mailto:${visitor.email}`,
          "data-testid": "visitor-email",
          text: visitor.email,
        })
      : null;
    const badges = visitorBadges(t, visitor);
    // A message left while the shop was away (after-hours.js): unless it goes by e-mail, the
    // answer waits for the shopper's next visit, and the agent is told why.
    const why = [
      [this.#settings.email === false, "agent.offline_no_email"],
      [!visitor?.email, "agent.offline_no_address"],
    ].find(([holds]) => holds)?.[1];
    const offline = summary?.offline
      ? h("span", {
          class: "cv-conv-offline",
          "data-testid": "offline-message",
          text: t("agent.offline_message") + (why ? ` — ${t(why)}` : ""),
        })
      : null;
    this.visitor.replaceChildren(...[badges, email, offline].filter(Boolean));
    const rating = session?.state.rating;
    this.rating.hidden = !rating;
    this.rating.textContent = rating
      ? t("agent.rated", {
          stars: "★".repeat(rating.score) + "☆".repeat(5 - rating.score),
          score: rating.score,
        }) + (rating.comment ? ` — “${rating.comment}”` : "")
      : "";
  }

  /** Two presses close the conversation: the first arms the button for a few seconds. */
  async #closeConversation() {
    const session = this.#selected();
    const button = this.closeButton;
    if (!session) return;
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = this.#t("agent.close_confirm");
      clearTimeout(this.#disarmTimer);
      this.#disarmTimer = setTimeout(() => this.disarmClose(), CLOSE_ARM_MS);
      return;
    }
    this.disarmClose();
    try {
      await this.#api.post(
        `/api/conversations/${encodeURIComponent(session.conversationId)}/close`,
      );
    } catch (error) {
      this.#onNotice(errorText(this.#t, error));
    }
  }

  /** Close needs two presses again. */
  disarmClose() {
    clearTimeout(this.#disarmTimer);
    delete this.closeButton.dataset.armed;
    this.closeButton.textContent = this.#t("agent.close_conversation");
  }
}

/** A header button with an icon, disabled until a conversation is selected. */
function actionButton(testid, iconName, text, onClick) {
  return h(
    "button",
    {
      type: "button",
      class: "cv-btn",
      "data-testid": testid,
      disabled: true,
      on: { click: onClick },
    },
    icon(iconName),
    text,
  );
}
