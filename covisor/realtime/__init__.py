"""The Socket.IO adapter: the wire codec and server, WebSockets, the broadcast across processes,
rooms, the fanout of committed events, and the event handlers.
"""
