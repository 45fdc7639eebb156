"""The browser tests' server and Chromium (tests/e2e/conftest.py), reused for XSS checks."""

from tests.e2e.conftest import (  # noqa: F401  (fixtures re-exported)
    _show_logs_on_failure,
    browser,
    celery_worker,
    e2e_database_url,
    e2e_env,
    e2e_redis_url,
    open_browser,
    phare_server,
)
