"""On PostgreSQL, the database itself refuses to edit or delete ledger rows.

(TRUNCATE, used by test teardown and by nobody else, is not a row operation.)
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION points_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'points ledger rows are append-only (%% on %%)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
  FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();
CREATE TRIGGER points_transaction_append_only BEFORE UPDATE OR DELETE ON points_ledgertransaction
  FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry;
DROP TRIGGER IF EXISTS points_transaction_append_only ON points_ledgertransaction;
DROP FUNCTION IF EXISTS points_ledger_append_only();
"""


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
