import assert from "node:assert/strict";
import { test } from "node:test";

import { newUploadId, uploadPath } from "../../shared/upload-tray.js";

test("each upload gets its own id of the shape the server accepts", () => {
  const ids = new Set(Array.from({ length: 50 }, () => newUploadId()));
  assert.equal(ids.size, 50);
  for (const id of ids) assert.match(id, /^u_[0-9a-z]{20}$/);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
});

test("the upload is posted with its upload_id", () => {
  assert.equal(uploadPath("c_1", "u_abc"), "/api/conversations/c_1/media?upload_id=u_abc");
  assert.equal(uploadPath("c/1", "u_abc"), "/api/conversations/c%2F1/media?upload_id=u_abc");
});
