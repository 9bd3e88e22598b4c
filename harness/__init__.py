"""Drive the running app from outside, as its users' browsers do.

- :mod:`.servers` starts the dashboard (and other local servers) on loopback ports;
- :mod:`.protocol` speaks Streamlit's websocket protocol (the load benchmark and load test);
- :mod:`.browser` drives Debian's Chromium through Playwright (the e2e tests and the screenshots).

Tests, the benchmark and ``scripts/`` use it; the product never does.
"""
