// docs/CLIENT.md's stub, in a file of its own (the pages' Content-Security-Policy runs no inline
// script): calls the shop makes before widget.js has started are queued in `covisor.q`, and the
// widget takes them over when it starts. A classic script, so it runs before every module.
window.covisor = window.covisor || { q: [] };
[
  "identify",
  "open",
  "close",
  "invite",
  "trigger",
  "trackConversion",
  "setCart",
  "onAddToCart",
  "setProduct",
].forEach(function (name) {
  window.covisor[name] =
    window.covisor[name] ||
    function () {
      window.covisor.q.push([name, arguments]);
    };
});
