import assert from "node:assert/strict";
import { test } from "node:test";

import { driftAction, expectedPosition } from "../../shared/video-clock.js";

const near = (actual, expected, epsilon = 1e-9) =>
  assert.ok(Math.abs(actual - expected) < epsilon, `${actual} is not ${expected}`);

test("a playing video advances with server time times rate", () => {
  const video = { playing: true, position: 10, rate: 2, at: 1_000_000 };
  near(expectedPosition(video, 1_001_500), 13);
});

test("a paused video stays at its position", () => {
  const video = { playing: false, position: 7.5, rate: 1, at: 1_000_000 };
  assert.equal(expectedPosition(video, 1_090_000), 7.5);
});

test("the expected position is clamped to the duration", () => {
  const video = { playing: true, position: 58, rate: 1, at: 0 };
  assert.equal(expectedPosition(video, 10_000, 60), 60);
});

test("drift over one second seeks to the expected position", () => {
  const action = driftAction({
    actual: 10,
    expected: 11.5,
    rate: 1,
    playbackRate: 1,
    playing: true,
  });
  assert.deepEqual(action, { type: "seek", position: 11.5 });
});

test("a player behind by 0.1-1 s speeds up by 5 %", () => {
  const action = driftAction({
    actual: 10,
    expected: 10.5,
    rate: 2,
    playbackRate: 2,
    playing: true,
  });
  assert.equal(action.type, "rate");
  near(action.rate, 2.1);
});

test("a player ahead by 0.1-1 s slows down by 5 %", () => {
  const action = driftAction({
    actual: 10.5,
    expected: 10,
    rate: 1,
    playbackRate: 1,
    playing: true,
  });
  assert.equal(action.type, "rate");
  near(action.rate, 0.95);
});

test("an already nudged player is left alone while still drifting", () => {
  const action = driftAction({
    actual: 10,
    expected: 10.3,
    rate: 1,
    playbackRate: 1.05,
    playing: true,
  });
  assert.deepEqual(action, { type: "none" });
});

test("once within 0.1 s the shared rate is restored", () => {
  const action = driftAction({
    actual: 10,
    expected: 10.05,
    rate: 1,
    playbackRate: 1.05,
    playing: true,
  });
  assert.deepEqual(action, { type: "rate", rate: 1 });
});

test("small drift at the right rate needs nothing", () => {
  const action = driftAction({
    actual: 10,
    expected: 10.05,
    rate: 1,
    playbackRate: 1,
    playing: true,
  });
  assert.deepEqual(action, { type: "none" });
});

test("a new shared rate is applied even without drift", () => {
  const action = driftAction({ actual: 4, expected: 4, rate: 1.5, playbackRate: 1, playing: true });
  assert.deepEqual(action, { type: "rate", rate: 1.5 });
});

test("a paused player more than 0.1 s off seeks, since rate cannot help", () => {
  const action = driftAction({
    actual: 4,
    expected: 4.4,
    rate: 1,
    playbackRate: 1,
    playing: false,
  });
  assert.deepEqual(action, { type: "seek", position: 4.4 });
});
