// The widget's language: `?lang=xx` (set by the switch in the header) goes to the widget's
// script tag as `data-lang` before widget.js runs (module scripts run in document order).
const LANGUAGES = ["en", "es", "de", "pl", "fr"];
const chosen = new URLSearchParams(location.search).get("lang");
const switcher = document.getElementById("lang");
if (LANGUAGES.includes(chosen)) {
  const widgetTag = document.querySelector('script[src$="/client/widget.js"]');
  if (widgetTag) widgetTag.dataset.lang = chosen;
  switcher.value = chosen;
} else {
  switcher.value = "en";
}
switcher.addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("lang", switcher.value);
  location.assign(url);
});

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
        title.textContent = item.title;
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
