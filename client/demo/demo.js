import { languageSwitch } from "./language.js";

languageSwitch(document.getElementById("lang"), "en");

/**
 * Each page of the demo its own title, as a shop's pages have (`/demo/rain-jacket` → "Rain
 * jacket — Northwind Outfitters"): what the agent reads in the live visitors list.
 */
function pageTitle(path, shop) {
  const slug = decodeURIComponent(path.replace(/^\/demo\/?/, "").split("/")[0] ?? "");
  if (!slug) return `${shop} — demo shop`;
  const words = slug.replace(/[-_]+/g, " ").trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} — ${shop}`;
}

document.title = pageTitle(location.pathname, "Northwind Outfitters");

// The shop's own product list: use the demo catalogue's pictures when they are installed.
const list = document.getElementById("products");
fetch("/media/catalogue.json")
  .then((response) => (response.ok ? response.json() : null))
  .then((catalogue) => {
    const items = (catalogue?.items ?? []).filter((item) => item.kind === "image");
    if (items.length === 0) return;
    const price = new Intl.NumberFormat(document.documentElement.lang, {
      style: "currency",
      currency: catalogue.currency || "EUR",
    });
    list.replaceChildren(
      ...items.map((item) => {
        const card = document.createElement("li");
        card.className = "product";
        const figure = document.createElement("figure");
        const image = document.createElement("img");
        image.src = `/media/${encodeURIComponent(item.file)}`;
        image.alt = item.title;
        image.loading = "lazy";
        figure.append(image);
        const info = document.createElement("div");
        info.className = "info";
        const title = document.createElement("h2");
        const link = document.createElement("a");
        link.href = `/demo/${encodeURIComponent(item.id)}`;
        link.textContent = item.title;
        title.append(link);
        const description = document.createElement("p");
        description.textContent = item.description;
        const cost = document.createElement("p");
        cost.className = "price";
        cost.textContent = price.format(Number(item.price));
        info.append(title, description, cost);
        card.append(figure, info);
        return card;
      }),
    );
  })
  .catch(() => {});
