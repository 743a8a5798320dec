"""What is kept of past conversations: transcripts, offline e-mail answers, reports, and the
privacy rules (retention, erasure, export).
"""
