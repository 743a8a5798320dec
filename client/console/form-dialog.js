/**
 * A modal form in a `<dialog>` (the console's transfer, note and invitation dialogs): a title,
 * the caller's fields, an error line, Cancel and a submit button. The form never reloads the
 * page; `onSubmit(event)` does the work and closes the dialog when it succeeded.
 */

import { h } from "../shared/dom.js";

/**
 * @param {object} options
 * @param {Function} options.t translator (for "Cancel")
 * @param {string} options.id the title's id (the dialog is labelled by it)
 * @param {string} options.testId the dialog's test id
 * @param {string} options.title
 * @param {Node[]} options.fields what goes between the title and the error line
 * @param {string} options.submit the submit button's text
 * @param {string} options.submitTestId
 * @param {(event: SubmitEvent) => void} options.onSubmit
 * @returns {{dialog: HTMLDialogElement, error: HTMLElement}}
 */
export function formDialog({ t, id, testId, title, fields, submit, submitTestId, onSubmit }) {
  const error = h("p", { class: "cv-form-message", role: "alert" });
  const dialog = h(
    "dialog",
    { class: "cv-dialog", "data-testid": testId, "aria-labelledby": id },
    h(
      "form",
      {
        method: "dialog",
        on: {
          submit: (event) => {
            event.preventDefault();
            onSubmit(event);
          },
        },
      },
      h("h2", { id, text: title }),
      ...fields,
      error,
      h(
        "div",
        { class: "cv-dialog-actions" },
        h("button", {
          type: "button",
          class: "cv-btn",
          text: t("agent.cancel"),
          on: { click: () => dialog.close() },
        }),
        h("button", {
          type: "submit",
          class: "cv-btn cv-btn--primary",
          "data-testid": submitTestId,
          text: submit,
        }),
      ),
    ),
  );
  return { dialog, error };
}
