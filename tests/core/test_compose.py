"""docker-compose.yml: the web container's own health check (readiness) passes, and the app's
services start only after the migrations have run."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_it_checks_web_health_with_a_request_the_default_hosts_accept(live_server, settings):
    """The health check's exact command, pointed at a live server configured with the
    compose file's ALLOWED_HOSTS default, exits 0 (before: 400 DisallowedHost)."""
    web = compose()["services"]["web"]
    allowed = re.fullmatch(r"\$\{ALLOWED_HOSTS:-(.*)\}", web["environment"]["ALLOWED_HOSTS"])
    settings.ALLOWED_HOSTS = allowed.group(1).split(",")
    kind, python, flag, script = web["healthcheck"]["test"]
    assert (kind, python, flag) == ("CMD", "python", "-c")
    assert "http://127.0.0.1:8000/readyz" in script
    port = live_server.url.rsplit(":", 1)[1]
    script = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    check = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_it_starts_the_app_after_the_migrations_complete(service):
    """web, worker and beat wait for `migrate` to exit successfully."""
    depends = compose()["services"][service]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert depends["db"] == {"condition": "service_healthy"}
