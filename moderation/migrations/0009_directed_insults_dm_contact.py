# Insults aimed at the reader get their own decision in adults' spaces (refused by default,
# where the operator's harassment list only flags), and contact details between adults in a
# conversation are flagged by default instead of passing unseen; a meeting between two minors of
# the same band in a request or conversation is flagged (delivered, a moderator sees it) where a
# minors' room, which mixes the bands, holds it (docs/screening.md, "Decisions").

from django.db import migrations, models

DECISIONS = [('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'),
             ('block', 'block'), ('escalate', 'block and escalate')]


def decision(default: str, help_text: str) -> models.CharField:
    return models.CharField(choices=DECISIONS, default=default, max_length=10, help_text=help_text)


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0008_screening_decisions'),
    ]

    operations = [
        migrations.AddField(
            model_name='screeningpolicy', name='directed_insult_decision',
            field=decision('block', "Insults aimed at the reader in adults' rooms and conversations (minors' spaces: the "
                                    "insults decision for minors)."),
        ),
        migrations.AddField(
            model_name='screeningpolicy', name='minors_dm_meeting_decision',
            field=decision('flag', 'Arranging to meet in person in a request or conversation between two minors of the same '
                                   'age band (contact across bands is refused).'),
        ),
        migrations.AlterField(
            model_name='screeningpolicy', name='minors_meeting_decision',
            field=decision('hold', "Arranging to meet in person in minors' rooms (where both age bands of minors meet)."),
        ),
        migrations.AlterField(
            model_name='screeningpolicy', name='adult_dm_contact_decision',
            field=decision('flag', 'Contact details in conversations between adults: delivered, and a moderator sees them.'),
        ),
    ]
