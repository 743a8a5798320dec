"""The phone: PINs that bring a caller into an agent's conversation, and the service that issues
and redeems them.
"""
