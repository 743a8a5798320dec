"""Live translation of chat messages through the shop's own engine (Apertium APy or a
LibreTranslate-compatible API), so an agent and a shopper without a common language read each
other. Off unless `translate_url` is set; only message text is ever sent to the engine."""
