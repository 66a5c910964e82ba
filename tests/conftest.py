"""Shared pytest configuration: pytester drives the pytest plugin's own tests.

A suite started as a background job of a non-interactive shell (``make test &`` in a script) inherits SIGINT
ignored, and so would every command line the tests start, so Ctrl-C could not reach them. The tests that press
Ctrl-C need it delivered as at a terminal: a handler here means each child starts with SIGINT at its default.
"""

import signal

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

pytest_plugins = ["pytester"]
