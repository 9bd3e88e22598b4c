"""Fixtures for the reliability and security tests.

The store fixtures (``database_url``, ``engine``, ``sqlite_engine``) come from
``tests/conftest.py``; the demo database and signed-in AppTests from
``tests/app/conftest.py``, imported here so both folders share one template.
"""

from __future__ import annotations

from tests.app.conftest import app_as, app_signed_out, demo_template, demo_url  # noqa: F401
