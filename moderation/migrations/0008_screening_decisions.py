# Four per-finding decisions of the screening policy (docs/screening.md, "Decisions"),
# written as one loop: the fields differ only by name, default and help text.

from django.db import migrations, models

DECISIONS = [('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'),
             ('block', 'block'), ('escalate', 'block and escalate')]
NEW_FIELDS = [
    ('adult_meeting_decision', 'allow', 'Arranging to meet in person, between adults.'),
    ('minors_harassment_decision', 'block',
     "Insults in minors' rooms and conversations (harassment list and directed insults)."),
    ('minors_meeting_decision', 'hold',
     'Arranging to meet in person where a minor is involved (rooms, requests and conversations).'),
    ('threat_decision', 'hold', 'Threats against the reader, sextortion and blackmail, everywhere.'),
]


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0007_attempts'),
    ]

    operations = [
        migrations.AddField(
            model_name='screeningpolicy', name=name,
            field=models.CharField(choices=DECISIONS, default=default, help_text=help_text, max_length=10),
        )
        for name, default, help_text in NEW_FIELDS
    ]
