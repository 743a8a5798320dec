"""Covisor: visual co-browsing for online shops.

A shopper and an agent chat and look at the same shared viewer; the server is the authority
on every conversation's state and relays each change to everyone in it.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
