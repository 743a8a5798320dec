"""Live visitors: page views, invitation rules and invitations, and the conversions credited
to chats.
"""
