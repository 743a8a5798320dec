"""What Covisor sends out: e-mail (mailer), Web Push, notifications to agents and webhooks, all
through the outbound rule for addresses.
"""
