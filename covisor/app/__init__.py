"""The composition root and the process: `build` makes every service, `http` the web
application, `cli` the operator's commands, `supervisor` several workers on one port.
"""
