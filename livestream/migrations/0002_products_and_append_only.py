"""The local-products catalogue, and on PostgreSQL the database's refusals: income entries
are never edited or deleted, a decided transfer never changes, a recorded outcome stays.

(TRUNCATE, used by test teardown and by nobody else, is not a row operation.)
"""

from django.db import migrations

PRODUCTS = [
    ("羊绒围巾", "鄂尔多斯羊绒围巾"),
    ("沙棘汁", "鄂尔多斯野生沙棘汁"),
    ("酸杏", "准格尔酸杏"),
    ("蒙古奶茶", "蒙古族传统砖茶奶茶"),
    ("黄河碱地米", "黄河岸边盐碱地大米"),
]

FORWARD = """
CREATE OR REPLACE FUNCTION livestream_income_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'livestream income entries are append-only (%% on %%)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER livestream_income_append_only BEFORE UPDATE OR DELETE ON livestream_income
  FOR EACH ROW EXECUTE FUNCTION livestream_income_append_only();

CREATE OR REPLACE FUNCTION livestream_transfer_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.status <> 'pending' THEN
    RAISE EXCEPTION 'a decided transfer never changes (%% of transfer %%)', TG_OP, OLD.id;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER livestream_transfer_frozen BEFORE UPDATE OR DELETE ON livestream_transfer
  FOR EACH ROW EXECUTE FUNCTION livestream_transfer_frozen();

CREATE OR REPLACE FUNCTION livestream_outcome_once() RETURNS trigger AS $$
BEGIN
  IF OLD.outcome_recorded_at IS NOT NULL AND (
       NEW.outcome_recorded_at IS DISTINCT FROM OLD.outcome_recorded_at
    OR NEW.sales IS DISTINCT FROM OLD.sales
    OR NEW.orders IS DISTINCT FROM OLD.orders
    OR NEW.peak_viewers IS DISTINCT FROM OLD.peak_viewers
    OR NEW.duration_minutes IS DISTINCT FROM OLD.duration_minutes
    OR NEW.evidence IS DISTINCT FROM OLD.evidence
    OR NEW.starts_at IS DISTINCT FROM OLD.starts_at) THEN
    RAISE EXCEPTION 'a recorded session outcome never changes (session %%)', OLD.id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER livestream_outcome_once BEFORE UPDATE ON livestream_session
  FOR EACH ROW EXECUTE FUNCTION livestream_outcome_once();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS livestream_income_append_only ON livestream_income;
DROP TRIGGER IF EXISTS livestream_transfer_frozen ON livestream_transfer;
DROP TRIGGER IF EXISTS livestream_outcome_once ON livestream_session;
DROP FUNCTION IF EXISTS livestream_income_append_only();
DROP FUNCTION IF EXISTS livestream_transfer_frozen();
DROP FUNCTION IF EXISTS livestream_outcome_once();
"""


def forward(apps, schema_editor):
    Product = apps.get_model("livestream", "Product")
    for name, description in PRODUCTS:
        Product.objects.get_or_create(name=name, defaults={"description": description})
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("livestream", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
