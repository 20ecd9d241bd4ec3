"""Keeps the scale-out test's folder (logs of nginx, the instances, the worker; the mail and S3 folders) when a
check failed, so the failure can be read after the run."""
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if outcome.get_result().failed:
        item.session.scaleout_failed = True
