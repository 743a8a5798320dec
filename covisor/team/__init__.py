"""The team: agents, their passwords and tokens, who is on duty (roster), routing, saved
replies, business hours and availability.
"""
