#!/usr/bin/env bash
# The phone app's contract (issue 26): from the schema the running server serves,
# generate the Python client (openapi-python-client) and the TypeScript types
# (openapi-typescript, checked with tsc --strict), both without a single warning, then
# drive a resident's trip through the generated Python client (tests/client_flow.py):
# sign in by SMS code, scan a badge, review, pay at a till, read the balance.
#
#   env <the server's variables> .ci/generated_clients.sh http://127.0.0.1:8765
#
# Run from .ci/run with the variables of the server it started (DATABASE_URL,
# SMS_BACKEND=file and SMS_FILE_PATH, PUBLIC_BASE_URL...): the badge and the till are
# read from that database. npm packages: .ci/node (package-lock.json), installed there.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_URL="${1:?usage: .ci/generated_clients.sh <base URL of the running server>}"
: "${SMS_FILE_PATH:?SMS_FILE_PATH: the file written by the SMS_BACKEND=file of the server}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

.venv/bin/python -c "import sys, urllib.request; open(sys.argv[2], 'wb').write(urllib.request.urlopen(sys.argv[1]).read())" \
  "$BASE_URL/api/schema/?format=json" "$OUT/schema.json"

echo "--- openapi-python-client"
.venv/bin/openapi-python-client generate --path "$OUT/schema.json" --meta none \
  --output-path "$OUT/duoduo_client" --config .ci/openapi-python-client.yaml 2>&1 | tee "$OUT/python.log"
if grep -qi "warning" "$OUT/python.log"; then
  echo "openapi-python-client warned (above): fix the schema" >&2
  exit 1
fi
.venv/bin/python -W error -c "
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module('duoduo_client')
names = [m.name for m in pkgutil.walk_packages(package.__path__, 'duoduo_client.')]
for name in names:
    importlib.import_module(name)
print(f'{len(names)} modules import')
" "$OUT"

echo "--- openapi-typescript and tsc --strict"
if [ ! -x .ci/node/node_modules/.bin/openapi-typescript ]; then
  (cd .ci/node && npm ci --no-audit --no-fund --ignore-scripts)
fi
.ci/node/node_modules/.bin/openapi-typescript "$OUT/schema.json" -o "$OUT/schema.d.ts" 2>&1 | tee "$OUT/typescript.log"
if grep -qiE "warn|⚠" "$OUT/typescript.log"; then
  echo "openapi-typescript warned (above): fix the schema" >&2
  exit 1
fi
.ci/node/node_modules/.bin/tsc --strict --noEmit "$OUT/schema.d.ts"
echo "schema.d.ts compiles with tsc --strict"

echo "--- a resident's trip through the generated Python client"
CODES="$(.venv/bin/python manage.py shell -v 0 -c "
from cadres.codes import badge_url
from cadres.models import Cadre
from merchants.codes import counter_url
from points.models import Merchant
print('codes', badge_url(Cadre.objects.order_by('pk').first()), counter_url(Merchant.objects.order_by('pk').last()))
" | grep '^codes ')"
read -r _ BADGE TILL <<<"$CODES"
PHONE="+8613999$(printf '%06d' $((RANDOM * 30 % 1000000)))"
.venv/bin/python tests/client_flow.py --client-dir "$OUT" --package duoduo_client \
  --base-url "$BASE_URL" --sms-file "$SMS_FILE_PATH" --phone "$PHONE" --badge "$BADGE" --till "$TILL"
