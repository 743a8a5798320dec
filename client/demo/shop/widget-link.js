/**
 * What the demo shop tells Covisor's widget, through `window.covisor` as any shop would
 * (docs/CLIENT.md): the product on show (`setProduct`), the cart whenever it changes
 * (`setCart`), how an agent adds to the cart (`onAddToCart`) and the order (`trackConversion`).
 *
 * covisor-stub.js queues calls made before the widget loaded. A widget without one of these
 * calls (an older one), or one that did not start, must never break the shop: every call goes
 * through `callWidget`, which always returns a promise, and the shop decides what a failure
 * means (mostly nothing).
 */

import { cartForWidget } from "./cart.js";

/** `window.covisor[name](...args)` as a promise: rejected when there is no such call. */
export function callWidget(name, ...args) {
  try {
    const method = window.covisor?.[name];
    if (typeof method !== "function") throw new Error(`covisor.${name} is not available`);
    return Promise.resolve(method(...args));
  } catch (error) {
    return Promise.reject(error);
  }
}

const ignore = () => {};

/**
 * Tell the widget about this page: `productId` on show (null on pages of no product), the
 * cart of `store` now and after every change, and `addToCart(request)` as what an agent's
 * "add to cart" does (it resolves when added and rejects with the reason it was not).
 */
export function linkWidget({ store, catalogue, productId, addToCart }) {
  callWidget("setProduct", productId).catch(ignore);
  const sendCart = () => callWidget("setCart", cartForWidget(store.lines, catalogue)).catch(ignore);
  sendCart();
  store.subscribe(sendCart);
  callWidget("onAddToCart", async (request) => {
    addToCart(request);
  }).catch(ignore);
}
