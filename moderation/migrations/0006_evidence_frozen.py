"""Evidence snapshots are frozen: PostgreSQL refuses to change their content or delete them.

Only `legal_hold` may change (a referral sets it). The embedded SQLite default relies on the
stored SHA-256, which every read rechecks (`intact`).
"""

from django.db import migrations

FREEZE_SQL = """
CREATE OR REPLACE FUNCTION phare_evidence_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'evidence snapshots cannot be deleted';
    END IF;
    IF NEW.data IS DISTINCT FROM OLD.data OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'evidence snapshots cannot be changed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER moderation_evidence_frozen
    BEFORE UPDATE OR DELETE ON moderation_evidence
    FOR EACH ROW EXECUTE FUNCTION phare_evidence_frozen();
"""

UNFREEZE_SQL = """
DROP TRIGGER IF EXISTS moderation_evidence_frozen ON moderation_evidence;
DROP FUNCTION IF EXISTS phare_evidence_frozen();
"""


def freeze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FREEZE_SQL)


def unfreeze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNFREEZE_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0005_screening_policy"),
    ]

    operations = [migrations.RunPython(freeze, unfreeze)]
