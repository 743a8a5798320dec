"""The kernel: what every context speaks, and nothing else of Covisor's (errors, clock, events,
commands, identities and grants, the JSON codec, metrics, logs, rate limits, addresses).
"""
