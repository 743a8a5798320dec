import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  catalogueTitle,
  normaliseShortcut,
  replyProblem,
} from "../../../console/admin/saved-replies.js";
import { inviteProblem, parseCapacity } from "../../../console/admin/team.js";

const english = JSON.parse(readFileSync(new URL("../../../locales/en.json", import.meta.url), "utf8"));
const invite = (extra = {}) => ({
  name: "Ana",
  email: "ana@shop.example",
  capacity: "3",
  ...extra,
});

test("a capacity is a whole number from 1 to 100", () => {
  assert.equal(parseCapacity("1"), 1);
  assert.equal(parseCapacity(" 100 "), 100);
  assert.equal(parseCapacity(7), 7);
  for (const bad of ["0", "101", "2.5", "-1", "", "3e1", "abc", null, undefined])
    assert.equal(parseCapacity(bad), null, String(bad));
});

test("an invitation needs a name, one e-mail address and a capacity", () => {
  assert.equal(inviteProblem(invite()), null);
  assert.equal(inviteProblem(invite({ name: "  " })), "agent.team.invalid_name");
  assert.equal(inviteProblem(invite({ name: "x".repeat(81) })), "agent.team.invalid_name");
  assert.equal(inviteProblem(invite({ name: "x".repeat(80) })), null);
  for (const email of ["", "ana", "ana@", "@shop", "a@b@c", "a b@c.d", `${"a".repeat(250)}@b.cd`])
    assert.equal(inviteProblem(invite({ email })), "agent.team.invalid_email", email);
  assert.equal(inviteProblem(invite({ email: " Ana@Shop.example " })), null);
  assert.equal(inviteProblem(invite({ capacity: "0" })), "agent.team.invalid_capacity");
});

test("a shortcut loses its slash, spaces and capitals as the server would", () => {
  assert.equal(normaliseShortcut(" /Hours "), "hours");
  assert.equal(normaliseShortcut("//a_b-1"), "a_b-1");
  assert.equal(normaliseShortcut(undefined), "");
});

test("a reply needs a valid shortcut and a text within the message limit", () => {
  assert.equal(replyProblem({ shortcut: "/Hours", text: "We open at 9." }), null);
  for (const shortcut of ["", "/", "two words", "é", "x".repeat(33)])
    assert.equal(
      replyProblem({ shortcut, text: "ok" }),
      "agent.replies.invalid_shortcut",
      shortcut,
    );
  assert.equal(replyProblem({ shortcut: "x".repeat(32), text: "ok" }), null);
  assert.equal(replyProblem({ shortcut: "a", text: " \n " }), "agent.replies.empty_text");
  assert.equal(replyProblem({ shortcut: "a", text: "abcd" }, 3), "agent.replies.too_long");
  // Counted in code points, as the server counts: three emoji are three characters.
  assert.equal(replyProblem({ shortcut: "a", text: "😀😀😀" }, 3), null);
});

test("a reply's product reads as the catalogue item's title, else its id", () => {
  const items = [{ id: "mug", title: "Stoneware mug" }, { id: "bowl", title: "" }];
  assert.equal(catalogueTitle({ catalogue_id: "mug" }, items), "Stoneware mug");
  assert.equal(catalogueTitle({ catalogue_id: "bowl" }, items), "bowl");
  assert.equal(catalogueTitle({ catalogue_id: "gone" }, items), "gone");
  assert.equal(catalogueTitle({ catalogue_id: null }, items), null);
});

test("every key the validators return or the panels build exists in English", () => {
  const keys = [
    "agent.team.invalid_name",
    "agent.team.invalid_email",
    "agent.team.invalid_capacity",
    "agent.replies.invalid_shortcut",
    "agent.replies.empty_text",
    "agent.replies.too_long",
    "agent.team.role_agent",
    "agent.team.role_admin",
    "agent.team.enable_label",
    "agent.team.disable_label",
  ];
  assert.deepEqual(
    keys.filter((key) => !(key in english)),
    [],
  );
});
