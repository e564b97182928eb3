"""Settings come from the environment; production settings pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ID_ENCRYPTION_KEYS": "YJU_HBd9UhHttzD3154_izDop7vW-FPwiPcnJf5x4h4=",
    "ALLOWED_HOSTS": "duoduo.example.cn",
    "PUBLIC_BASE_URL": "https://duoduo.example.cn",
    "DEBUG": "0",
}


def run_manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ID_ENCRYPTION_KEYS",
            "SECURE_SSL_REDIRECT",
            "SECURE_COOKIES",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_warning_with_production_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_check_deploy_refuses_the_development_id_key():
    """Production never encrypts ID numbers with the published development key."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ID_ENCRYPTION_KEYS"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "stalls.E002" in result.stderr


def test_check_refuses_an_id_key_that_is_no_fernet_key():
    env = {
        **PRODUCTION_ENV,
        "ID_ENCRYPTION_KEYS": "YJU_HBd9UhHttzD3154_izDop7vW-FPwiPcnJf5x4h4=,nope",
    }
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "stalls.E001" in result.stderr and "[2]" in result.stderr


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", env={"DEBUG": "0", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_docker_compose_passes_only_real_settings():
    """Every variable a compose service sets is one that config/settings.py reads."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    settings_source = (ROOT / "config" / "settings.py").read_text()
    known_elsewhere = {
        "POSTGRES_PASSWORD",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "DJANGO_SETTINGS_MODULE",
        # Read by prometheus_client from the environment (core/metrics.py, config/gunicorn.py).
        "PROMETHEUS_MULTIPROC_DIR",
    }
    assert {"db", "redis", "web", "worker", "beat"} <= set(compose["services"])
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        names = env.keys() if isinstance(env, dict) else [item.split("=", 1)[0] for item in env]
        for variable in names:
            if variable.startswith("<<") or variable in known_elsewhere:
                continue
            assert f'"{variable}"' in settings_source, f"{name}: {variable} is not a setting"
    beats = [
        s
        for s in compose["services"].values()
        if "beat" in " ".join(map(str, s.get("command", "")))
    ]
    assert len(beats) == 1, "exactly one beat process"
    assert compose["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_makemigrations_check_runs_on_a_clean_checkout_without_a_secret_key():
    """Schema-only commands need no SECRET_KEY; the models and migrations agree."""
    result = run_manage("makemigrations", "--check", "--dry-run", env={"DEBUG": "0"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_it_refuses_an_admin_phone_cooloff_over_fifteen_minutes():
    """ADMIN_PHONE_COOLOFF_MINUTES above 15 stops the start: nobody may configure a lock
    across addresses that an attacker could keep an admin out with for long."""
    result = run_manage("check", env={**PRODUCTION_ENV, "ADMIN_PHONE_COOLOFF_MINUTES": "60"})
    assert result.returncode != 0
    assert "ADMIN_PHONE_COOLOFF_MINUTES must be between 1 and 15" in result.stderr


def test_it_refuses_a_metrics_network_that_is_not_one():
    """METRICS_ALLOWED_NETWORKS is checked at start-up: a typo is an error, not a
    silently closed (or open) /metrics."""
    result = run_manage("check", env={**PRODUCTION_ENV, "METRICS_ALLOWED_NETWORKS": "10.0.0/8"})
    assert result.returncode != 0
    assert "10.0.0/8" in result.stderr
