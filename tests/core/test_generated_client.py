"""The phone app's contract: the Python client openapi-python-client generates from the
schema a running server serves builds with no warning, every module of it imports, and a
resident's trip through it (tests/client_flow.py) works: sign in by SMS code, scan a
badge, review, pay at a till, read the balance. CI does the same against gunicorn, and
also generates the TypeScript types (.ci/generated_clients.sh)."""

import importlib
import pathlib
import pkgutil
import subprocess
import sys
import urllib.request

import pytest

from cadres.codes import badge_url
from cadres.models import Cadre, Unit
from merchants.codes import counter_url
from merchants.models import Payment
from points import services as points_services
from tests import client_flow

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATOR = pathlib.Path(sys.executable).with_name("openapi-python-client")
CONFIG = ROOT / ".ci" / "openapi-python-client.yaml"
PACKAGE = "duoduo_generated_client"


def generate(schema_url: str, into: pathlib.Path) -> str:
    """Generate the client package into `into`; its output, which must hold no warning."""
    schema = into / "schema.json"
    with urllib.request.urlopen(schema_url) as response:  # noqa: S310 (the live test server)
        schema.write_bytes(response.read())
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
            "--config",
            str(CONFIG),
        ],
        cwd=into,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    return output


@pytest.fixture
def generated(live_server, tmp_path):
    generate(f"{live_server.url}/api/schema/?format=json", tmp_path)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_the_generated_python_client_imports_and_drives_a_residents_trip(
    generated, live_server, settings, tmp_path
):
    package = importlib.import_module(PACKAGE)
    modules = [m.name for m in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    assert len(modules) > 300
    for name in modules:
        importlib.import_module(name)

    sms_file = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(sms_file)
    cadre = Cadre.objects.create(
        unit=Unit.objects.create(name="康巴什区政务服务中心"),
        name="王丽娜",
        employee_number="E0001",
    )
    merchant = points_services.merchant_create(name="鄂尔多斯羊绒店")

    seen = client_flow.run(
        client_dir=generated,
        package=PACKAGE,
        base_url=live_server.url,
        sms_file=sms_file,
        phone="+8613912345678",
        badge=badge_url(cadre),
        till=counter_url(merchant),
    )
    assert seen["cadre_id"] == cadre.pk
    assert seen["points_awarded"] > 0 and seen["redeemable"] == 0
    payment = Payment.objects.get(pk=seen["payment_id"])
    assert payment.merchant_id == merchant.pk and payment.amount_points == seen["points_awarded"]
    assert payment.resident.phone == "+8613912345678"
