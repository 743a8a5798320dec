"""The HTTP adapters: one module a context (`web/<context>.py` calls `<context>/…`), the shared
kit, the server runner, CORS, headers and the static pages.
"""
