"""The server out of a page's reach, the way a browser meets it: a refused WebSocket upgrade, or
no Socket.IO at all until the test lifts the block."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route

SOCKET_IO = re.compile(r"/socket\.io/")

_FAILING_WEBSOCKET = """class {
  static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
  constructor() {
    this.readyState = 3;
    setTimeout(() => {
      this.onerror?.(new Event("error"));
      this.onclose?.({ code: 1006, reason: "" });
    }, 0);
  }
  send() {}
  close() {}
}"""

REFUSED_WEBSOCKET = f"window.WebSocket = {_FAILING_WEBSOCKET};"
"""What a page sees where a proxy refuses the WebSocket upgrade: every socket fails to open."""

_WEBSOCKET_UNTIL_LIFTED = f"""(() => {{
  const Real = window.WebSocket, Failing = {_FAILING_WEBSOCKET};
  window.covisorTestUnreachable = true;
  window.WebSocket = Object.assign(
    function (url, protocols) {{
      return window.covisorTestUnreachable ? new Failing() : new Real(url, protocols);
    }},
    {{ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 }},
  );
}})();"""


class Unreachable:
    """Socket.IO out of a page's reach from its next load on, over WebSocket and long-polling
    alike, until `lift`. `page.route` alone does not see WebSockets, which the client opens
    first, and Playwright's WebSocket routes can only accept one, never refuse it."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._blocked = True
        page.route(SOCKET_IO, self._http)
        page.add_init_script(_WEBSOCKET_UNTIL_LIFTED)

    def _http(self, route: Route) -> None:
        if self._blocked:
            route.abort()
        else:
            route.fallback()

    def lift(self) -> None:
        self._blocked = False
        self._page.evaluate("window.covisorTestUnreachable = false")
