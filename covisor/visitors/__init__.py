"""visitors"""
