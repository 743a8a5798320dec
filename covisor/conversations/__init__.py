"""Conversations: the pure domain (conversation, viewer, gallery), the journal that decides,
commits and publishes every command, and the service the adapters call.
"""
