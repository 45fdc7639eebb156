# Insults aimed at the reader get their own decision in adults' spaces (refused by default,
# where the operator's harassment list only flags), and contact details between adults in a
# conversation are flagged by default instead of passing unseen; a meeting between two minors of
# the same band in a request or conversation is flagged (delivered, a moderator sees it) where a
# minors' room, which mixes the bands, holds it (docs/screening.md, "Decisions").

from django.db import migrations, models

DECISIONS = [('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'),
             ('block', 'block'), ('escalate', 'block and escalate')]


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0008_screening_decisions'),
    ]

    operations = [
        migrations.AddField(
            model_name='screeningpolicy', name='directed_insult_decision',
            field=models.CharField(
                choices=DECISIONS, default='block', max_length=10,
                help_text="Insults aimed at the reader in adults' rooms and conversations (minors' spaces: the "
                          "insults decision for minors)."),
        ),
        migrations.AddField(
            model_name='screeningpolicy', name='minors_dm_meeting_decision',
            field=models.CharField(
                choices=DECISIONS, default='flag', max_length=10,
                help_text='Arranging to meet in person in a request or conversation between two minors of the same '
                          'age band (contact across bands is refused).'),
        ),
        migrations.AlterField(
            model_name='screeningpolicy', name='minors_meeting_decision',
            field=models.CharField(
                choices=DECISIONS, default='hold', max_length=10,
                help_text="Arranging to meet in person in minors' rooms (where both age bands of minors meet)."),
        ),
        migrations.AlterField(
            model_name='screeningpolicy', name='adult_dm_contact_decision',
            field=models.CharField(
                choices=DECISIONS, default='flag', max_length=10,
                help_text='Contact details in conversations between adults: delivered, and a moderator sees them.'),
        ),
    ]
