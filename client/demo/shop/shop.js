/**
 * The demo shop "Senda" (`/demo/shop/`): one page for the product grid, a product, the cart
 * and the checkout, chosen by the path, drawn from products.json. It runs before widget.js
 * (module scripts run in document order), so `?lang=` reaches the widget's tag in time.
 *
 * The cart is this browser's (`localStorage`, followed across tabs); the widget is told about
 * it and can add to it (widget-link.js): the two sides of an assisted sale, which a shopper and
 * an agent can try in two windows.
 */

import { h } from "../../shared/dom.js";
import { languageSwitch } from "../language.js";
import { CartStore } from "./cart.js";
import { Catalogue, routeOf, SHOP_PATH } from "./catalogue.js";
import { showCart, showCheckout } from "./basket.js";
import { showGrid } from "./grid.js";
import { heading } from "./parts.js";
import { showProduct } from "./product-page.js";
import { linkWidget } from "./widget-link.js";

const lang = languageSwitch(document.getElementById("lang"), "es");
const main = document.getElementById("main");
const status = document.querySelector('[data-testid="shop-status"]');
/** How long "Añadido al carrito" stays over the page. */
const NOTICE_MS = 5000;

/** A shop path as a link that keeps the chosen language (`?lang=`). */
function href(path) {
  const url = new URL(path, location.origin);
  if (lang) url.searchParams.set("lang", lang);
  return url.pathname + url.search;
}

for (const link of document.querySelectorAll(`header a[href^="${SHOP_PATH}"]`)) {
  link.href = href(link.getAttribute("href"));
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

let noticeTimer = null;

/** Say `text` over the page for a while (and to screen readers: the notice is a status). */
function notify(text) {
  status.textContent = text;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    status.textContent = "";
  }, NOTICE_MS);
}

/** The header's cart link: how many units the cart holds. */
function showCount(store) {
  const { count } = store.priced;
  document.querySelector('[data-testid="shop-cart-count"]').textContent = String(count);
  document
    .querySelector('[data-testid="shop-cart-link"]')
    .setAttribute("aria-label", `Carrito: ${count} ${count === 1 ? "artículo" : "artículos"}`);
}

async function start() {
  const route = routeOf(location.pathname) ?? { page: "grid" };
  let catalogue;
  try {
    catalogue = await Catalogue.load(fetchJson);
  } catch (error) {
    main.replaceChildren(
      heading("La tienda no está disponible ahora", "shop-heading"),
      h("p", {}, "No se pudo cargar el catálogo. Prueba a recargar la página."),
    );
    throw error;
  }
  const store = new CartStore(localStorage, catalogue);
  store.watch(window);
  showCount(store);
  store.subscribe(showCount);
  /** What the page's buttons and an agent's `onAddToCart` both do; throws a `CartError`. */
  const addToCart = (request) => {
    const variant = store.add(request);
    notify(`Añadido al carrito: ${variant.title}`);
  };
  const shop = { catalogue, store, href, addToCart };
  let productId = null;
  if (route.page === "product") {
    productId = showProduct(main, shop, route.id) ? route.id : null;
  } else if (route.page === "cart") {
    showCart(main, shop);
  } else if (route.page === "checkout") {
    showCheckout(main, shop);
  } else {
    showGrid(main, shop);
  }
  linkWidget({ store, catalogue, productId, addToCart });
}

start();
