import assert from "node:assert/strict";
import { test } from "node:test";

import {
  isEmail,
  normaliseClaim,
  openBody,
  prechatErrors,
  prechatFields,
  sameClaim,
  withAnswers,
} from "../../widget/visitor.js";

test("e-mail addresses need one @ and a dotted domain, no spaces", () => {
  for (const good of ["ann@example.com", " a.b+c@shop.co.uk ", "x@y.z"]) assert.ok(isEmail(good));
  const bad = ["", "ann", "ann@", "@example.com", "ann@example", "a n@example.com", "a@b@c.d"];
  for (const text of bad) assert.equal(isEmail(text), false, text);
  assert.equal(isEmail(`${"a".repeat(250)}@b.cd`), false);
});

test("a claim keeps what the server takes and drops blanks", () => {
  assert.deepEqual(
    normaliseClaim({ name: "  Ann  ", email: "ann@example.com", customer_id: 42 }, "ab12"),
    { name: "Ann", email: "ann@example.com", customer_id: "42", signature: "ab12" },
  );
  assert.deepEqual(normaliseClaim({ name: "Ann", email: "not an e-mail" }), { name: "Ann" });
  assert.equal(normaliseClaim({ name: " ", email: "" }), null);
  assert.equal(normaliseClaim(null), null);
  // A signature without a customer id signs nothing; an id over 128 characters cannot be cut.
  assert.deepEqual(normaliseClaim({ name: "Ann" }, "ab12"), { name: "Ann" });
  assert.deepEqual(normaliseClaim({ customer_id: "x".repeat(129) }, "ab12"), null);
  assert.equal(normaliseClaim({ name: "n".repeat(100) }).name.length, 80);
});

test("claims compare field by field", () => {
  assert.ok(sameClaim({ name: "Ann" }, { name: "Ann" }));
  assert.ok(sameClaim(null, null));
  assert.equal(sameClaim({ name: "Ann" }, { name: "Ann", email: "ann@example.com" }), false);
  assert.equal(sameClaim(null, { name: "Ann" }), false);
});

test("the pre-chat step asks only what the mode wants and the claim lacks", () => {
  assert.deepEqual(prechatFields("off", null), []);
  assert.deepEqual(prechatFields("unknown", null), []);
  assert.deepEqual(prechatFields("name", null), ["name"]);
  assert.deepEqual(prechatFields("name", { name: "Ann" }), []);
  assert.deepEqual(prechatFields("name_email", null), ["name", "email"]);
  assert.deepEqual(prechatFields("name_email", { name: "Ann" }), ["email"]);
  assert.deepEqual(prechatFields("name_email", { name: "Ann", email: "a@b.cd" }), []);
});

test("pre-chat answers are required, the e-mail valid", () => {
  assert.deepEqual(prechatErrors(["name", "email"], { name: " ", email: "" }), {
    name: "required",
    email: "required",
  });
  assert.deepEqual(prechatErrors(["name", "email"], { name: "Ann", email: "ann@" }), {
    email: "invalid",
  });
  assert.deepEqual(prechatErrors(["name", "email"], { name: "Ann", email: "ann@example.com" }), {});
  assert.deepEqual(prechatErrors(["email"], { name: "", email: "ann@example.com" }), {});
});

test("answers join the claim, keeping its signature", () => {
  const signed = { customer_id: "42", signature: "ab12", name: "Ann" };
  assert.deepEqual(withAnswers(signed, { email: "ann@example.com" }), {
    name: "Ann",
    email: "ann@example.com",
    customer_id: "42",
    signature: "ab12",
  });
  assert.deepEqual(withAnswers(null, { name: " Bo " }), { name: "Bo" });
});

test("the open request carries the claim as visitor and its name as the conversation's", () => {
  const page = { url: "https://shop/p", title: "Boots" };
  assert.deepEqual(openBody({ page, locale: "de" }), { page, locale: "de" });
  assert.deepEqual(
    openBody({ page, locale: "en", byPhone: true, claim: { name: "Ann", email: "a@b.cd" } }),
    {
      by_phone: true,
      page,
      locale: "en",
      name: "Ann",
      visitor: { name: "Ann", email: "a@b.cd" },
    },
  );
  assert.deepEqual(openBody({ page, claim: { email: "a@b.cd" } }), {
    page,
    visitor: { email: "a@b.cd" },
  });
});
