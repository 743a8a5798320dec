/**
 * Who the shopper is, as the widget tells the server (PROTOCOL.md "Who the shopper is"): the
 * claim a shop's page makes with `covisor.identify({name, email, customer_id}, signature)`, the
 * pre-chat questions (`GET /api/config` → `prechat`) and the body of `POST /api/conversations`.
 *
 * A claim is `{name?, email?, customer_id?, signature?}` with blanks left out; the server keeps
 * `customer_id` only with a matching signature, so a claim without one is the shopper's word.
 * No DOM, no storage.
 */

/** `prechat` values of `GET /api/config`; anything else counts as "off". */
export const PRECHAT_MODES = Object.freeze(["off", "name", "name_email"]);

const MAX_NAME = 80;
const MAX_EMAIL = 254;
const MAX_CUSTOMER_ID = 128;
const MAX_SIGNATURE = 128;
/** Stricter than the server (which wants one `@`): a dot in the domain catches most typos. */
const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;

/** Whether `text` looks like an e-mail address the server takes. */
export function isEmail(text) {
  const value = String(text ?? "").trim();
  return value.length <= MAX_EMAIL && EMAIL.test(value);
}

const text = (value) => (typeof value === "string" ? value.trim() : "");

/**
 * The claim to send for `identify(visitor, signature)`: strings trimmed, blanks and values the
 * server would refuse (an e-mail that is not one, an over-long id) left out, the name cut to 80
 * characters. Null when nothing is left.
 */
export function normaliseClaim(visitor, signature = undefined) {
  const claim = {};
  const name = text(visitor?.name).slice(0, MAX_NAME);
  if (name) claim.name = name;
  const email = text(visitor?.email);
  if (email && isEmail(email)) claim.email = email;
  const id = visitor?.customer_id;
  const customerId = typeof id === "number" && Number.isFinite(id) ? String(id) : text(id);
  if (customerId && customerId.length <= MAX_CUSTOMER_ID) claim.customer_id = customerId;
  const signed = text(signature ?? visitor?.signature);
  if (claim.customer_id && signed && signed.length <= MAX_SIGNATURE) claim.signature = signed;
  return Object.keys(claim).length > 0 ? claim : null;
}

/** Whether two claims say the same (either may be null). */
export function sameClaim(a, b) {
  const keys = ["name", "email", "customer_id", "signature"];
  return keys.every((key) => (a?.[key] ?? null) === (b?.[key] ?? null));
}

/**
 * The pre-chat fields still to ask for `mode` ("off", "name", "name_email"): those the claim
 * does not give already. Empty: no pre-chat step.
 */
export function prechatFields(mode, claim) {
  const wanted = { name: ["name"], name_email: ["name", "email"] }[mode] ?? [];
  return wanted.filter((field) => !claim?.[field]);
}

/**
 * What is wrong with the pre-chat answers: `{field: "required"|"invalid"}` for each asked
 * field that fails (empty when all is well).
 */
export function prechatErrors(fields, values) {
  const errors = {};
  for (const field of fields) {
    const value = text(values?.[field]);
    if (!value) errors[field] = "required";
    else if (field === "email" && !isEmail(value)) errors[field] = "invalid";
  }
  return errors;
}

/** The claim with the pre-chat answers added (trimmed, the name cut to 80 characters). */
export function withAnswers(claim, values) {
  return normaliseClaim({ ...(claim ?? {}), ...values }, claim?.signature);
}

/**
 * The body of `POST /api/conversations`: the page, the widget's language, `by_phone` when
 * opened to show a PIN, and the shopper's claim as `visitor` (its name also as the
 * conversation's `name`).
 */
export function openBody({ page, locale, byPhone = false, claim = null }) {
  return {
    ...(byPhone ? { by_phone: true } : {}),
    page,
    ...(locale ? { locale } : {}),
    ...(claim?.name ? { name: claim.name } : {}),
    ...(claim ? { visitor: { ...claim } } : {}),
  };
}
