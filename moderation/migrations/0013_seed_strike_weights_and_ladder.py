# The strike weights and the escalation ladder an operator starts with (docs/moderation.md,
# "Strikes and the ladder"), as rules.STRIKE_WEIGHTS and rules.DEFAULT_LADDER held them
# when this was written: a migration is history, so the values are copied, not imported.
# Rows already there (an operator's) are left alone; reversing removes nothing.

from django.db import migrations

WEIGHTS = {
    "child_safety": (10, 365), "grooming": (10, 365), "non_consensual_imagery": (10, 365),
    "threat": (6, 180), "age_misrepresentation": (4, 180),
    "hate": (3, 90), "sexual_content": (3, 90), "harassment": (2, 90), "impersonation": (2, 90),
    "self_harm": (1, 90), "spam": (1, 90), "name_not_allowed": (1, 90), "other": (1, 90),
}
LADDER = ((2, "warn", None), (4, "mute", 24 * 3600), (7, "suspend", 7 * 24 * 3600), (10, "ban", None))


def seed(apps, schema_editor):
    StrikeWeight = apps.get_model("moderation", "StrikeWeight")
    EscalationStep = apps.get_model("moderation", "EscalationStep")
    for reason_code, (weight, days) in WEIGHTS.items():
        StrikeWeight.objects.get_or_create(reason_code=reason_code, defaults={"weight": weight, "days": days})
    if not EscalationStep.objects.exists():
        EscalationStep.objects.bulk_create([
            EscalationStep(threshold=threshold, action=action, duration_seconds=duration)
            for threshold, action, duration in LADDER
        ])


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0012_weighted_strikes_and_ladder'),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
