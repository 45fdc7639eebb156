"""The moderation app's tables, squashed from 0001_initial … 0006_evidence_frozen.

A database that has applied all of those records this migration as applied and runs nothing
(docs/operations.md, "Upgrading across the squashed migrations").

On PostgreSQL two triggers guard what must not change: the audit log is append-only, and an
evidence snapshot's content can be neither changed nor deleted (only `legal_hold` may change:
a referral sets it). The embedded SQLite default relies on `verify_audit` and on the stored
SHA-256, which every read of a snapshot rechecks (`intact`).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# Each guard: a PostgreSQL trigger that runs before an UPDATE or DELETE of the table's rows
# and raises unless the change is allowed (table, trigger, function, function body).
GUARDS = [
    (
        "moderation_auditentry",
        "moderation_auditentry_append_only",
        "phare_audit_append_only",
        """
    RAISE EXCEPTION 'the audit log is append-only';
""",
    ),
    (
        "moderation_evidence",
        "moderation_evidence_frozen",
        "phare_evidence_frozen",
        """
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'evidence snapshots cannot be deleted';
    END IF;
    IF NEW.data IS DISTINCT FROM OLD.data OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'evidence snapshots cannot be changed';
    END IF;
    RETURN NEW;
""",
    ),
]


def add_guards(apps, schema_editor):
    # PostgreSQL only: the embedded SQLite default relies on the checks in code alone.
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, trigger, function, body in GUARDS:
        schema_editor.execute(f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN{body}END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {trigger}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
""")


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, trigger, function, _body in GUARDS:
        schema_editor.execute(f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {function}();
""")


class Migration(migrations.Migration):

    replaces = [
        ('moderation', '0001_initial'),
        ('moderation', '0002_audit_log'),
        ('moderation', '0003_reports_cases_decisions'),
        ('moderation', '0004_hash_banks'),
        ('moderation', '0005_screening_policy'),
        ('moderation', '0006_evidence_frozen'),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AllowedTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('term', models.CharField(max_length=200, unique=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('data', models.JSONField()),
                ('content_hash', models.CharField(max_length=64)),
                ('legal_hold', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name='HashBank',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.SlugField(max_length=64, unique=True)),
                ('category', models.CharField(choices=[('child_safety', 'child sexual abuse material'), ('non_consensual_imagery', 'non-consensual intimate imagery'), ('terrorism', 'terrorist or violent extremist content'), ('other', 'other removed images')], default='other', max_length=32)),
                ('description', models.CharField(blank=True, max_length=500)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name='Case',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject_type', models.CharField(choices=[('message', 'message'), ('user', 'user'), ('room', 'room')], max_length=8)),
                ('subject_id', models.BigIntegerField()),
                ('room_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('conversation_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('category', models.CharField(choices=[('child_safety', 'child safety'), ('grooming', 'grooming'), ('sexual_content', 'sexual content'), ('non_consensual_imagery', 'non-consensual imagery'), ('harassment', 'harassment'), ('hate', 'hate'), ('threat', 'threat'), ('self_harm', 'self-harm'), ('spam', 'spam'), ('impersonation', 'impersonation'), ('other', 'other'), ('room_proposal', 'room proposal')], default='other', max_length=32)),
                ('status', models.CharField(choices=[('open', 'open'), ('claimed', 'claimed'), ('decided', 'decided')], db_index=True, default='open', max_length=8)),
                ('priority', models.IntegerField(db_index=True, default=0)),
                ('sla_due_at', models.DateTimeField(blank=True, null=True)),
                ('sla_alerted_at', models.DateTimeField(blank=True, null=True)),
                ('minors_involved', models.BooleanField(default=False)),
                ('trusted_source', models.BooleanField(default=False)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('interim_hidden', models.BooleanField(default=False)),
                ('interim_restricted', models.BooleanField(default=False)),
                ('interim_data', models.JSONField(blank=True, default=dict)),
                ('legal_hold', models.BooleanField(default=False)),
                ('triaged_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('subject_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(max_length=32)),
                ('reason_code', models.CharField(max_length=32)),
                ('note', models.TextField(blank=True)),
                ('duration_seconds', models.PositiveIntegerField(blank=True, null=True)),
                ('automated', models.BooleanField(default=False)),
                ('own_initiative', models.BooleanField(default=False)),
                ('undo', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('reversed_at', models.DateTimeField(blank=True, null=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='moderation.case')),
                ('moderator', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Flag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('room_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('conversation_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('subject_id_snapshot', models.BigIntegerField()),
                ('text', models.TextField()),
                ('decision', models.CharField(choices=[('flag', 'Flag'), ('hold', 'Hold'), ('block', 'Block'), ('escalate', 'Escalate')], max_length=10)),
                ('reasons', models.JSONField(default=list)),
                ('categories', models.JSONField(default=list)),
                ('risk', models.FloatField(default=0.0)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('triaged_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='flags', to='moderation.case')),
                ('subject', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='BankedHash',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hash_type', models.CharField(choices=[('pdq', 'PDQ'), ('sha256', 'SHA-256')], max_length=8)),
                ('value', models.CharField(max_length=64)),
                ('source', models.CharField(blank=True, max_length=64)),
                ('upload_id_snapshot', models.BigIntegerField(blank=True, null=True)),
                ('note', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('bank', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hashes', to='moderation.hashbank')),
            ],
        ),
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('decision', 'decision about you'), ('interim', 'interim measure'), ('report_outcome', 'outcome of your report'), ('appeal_outcome', 'outcome of your appeal'), ('room_proposal', 'your room proposal')], max_length=16)),
                ('action', models.CharField(max_length=32)),
                ('reason_code', models.CharField(max_length=32)),
                ('scope', models.JSONField(blank=True, default=dict)),
                ('facts', models.TextField(blank=True)),
                ('automated', models.BooleanField(default=False)),
                ('appealable_until', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='moderation.case')),
                ('decision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='moderation.decision')),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Appeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField()),
                ('status', models.CharField(choices=[('pending', 'pending'), ('upheld', 'decision upheld'), ('reversed', 'decision reversed')], db_index=True, default='pending', max_length=10)),
                ('decision_note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('appellant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('notice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appeals', to='moderation.notice')),
            ],
        ),
        migrations.CreateModel(
            name='Referral',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('path', models.CharField(max_length=500)),
                ('manifest_sha256', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='moderation.case')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Report',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('visitor_session', models.CharField(blank=True, max_length=64)),
                ('trusted_flagger', models.BooleanField(default=False)),
                ('category', models.CharField(choices=[('child_safety', 'child safety'), ('grooming', 'grooming'), ('sexual_content', 'sexual content'), ('non_consensual_imagery', 'non-consensual imagery'), ('harassment', 'harassment'), ('hate', 'hate'), ('threat', 'threat'), ('self_harm', 'self-harm'), ('spam', 'spam'), ('impersonation', 'impersonation'), ('other', 'other'), ('room_proposal', 'room proposal')], max_length=32)),
                ('details', models.TextField(blank=True)),
                ('good_faith', models.BooleanField(default=False)),
                ('target_type', models.CharField(choices=[('message', 'message'), ('user', 'user'), ('room', 'room')], max_length=8)),
                ('target_id', models.BigIntegerField()),
                ('status', models.CharField(choices=[('received', 'received'), ('in_review', 'in review'), ('actioned', 'action taken'), ('no_action', 'no action taken')], default='received', max_length=10)),
                ('founded', models.BooleanField(blank=True, null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('triaged_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='moderation.case')),
                ('evidence', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='moderation.evidence')),
                ('reporter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddField(
            model_name='notice',
            name='report',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notices', to='moderation.report'),
        ),
        migrations.CreateModel(
            name='ScreeningPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grooming_threshold', models.FloatField(default=0.7, help_text='Conversation risk (0-1) at which it is held and a case opened.')),
                ('grooming_flag_threshold', models.FloatField(default=0.4, help_text='Conversation risk (0-1) at which it is flagged for a moderator.')),
                ('hate_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='block', max_length=10)),
                ('harassment_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='flag', max_length=10)),
                ('drugs_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='flag', max_length=10)),
                ('profanity_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='allow', max_length=10)),
                ('adult_room_sexual_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='allow', help_text="Sexual terms in adults' rooms (never allowed in minors' spaces or DM requests).", max_length=10)),
                ('adult_room_contact_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='flag', help_text="Contact details in adults' rooms (always blocked in minors' spaces and requests).", max_length=10)),
                ('adult_dm_contact_decision', models.CharField(choices=[('allow', 'allow'), ('flag', 'allow and flag for review'), ('hold', 'hold for review'), ('block', 'block'), ('escalate', 'block and escalate')], default='allow', max_length=10)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'screening policy',
                'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='screening_policy_single_row'), models.CheckConstraint(condition=models.Q(('grooming_flag_threshold__gt', 0), ('grooming_flag_threshold__lte', models.F('grooming_threshold')), ('grooming_threshold__lte', 1)), name='screening_policy_thresholds_ordered')],
            },
        ),
        migrations.CreateModel(
            name='ScreeningTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('term', models.CharField(max_length=200)),
                ('category', models.CharField(choices=[('sexual', 'sexual'), ('sexual_minors', 'sexual content involving minors'), ('hate', 'hate'), ('harassment', 'harassment'), ('self_harm', 'self-harm'), ('drugs', 'drugs'), ('contact_offplatform', 'contact and off-platform'), ('profanity', 'profanity')], max_length=32)),
                ('kind', models.CharField(choices=[('exact', 'exact word or phrase'), ('wildcard', 'wildcard (word*)'), ('regex', 'regular expression')], default='exact', max_length=10)),
                ('lang', models.CharField(default='any', help_text='fr, en or any', max_length=3)),
                ('enabled', models.BooleanField(default=True)),
                ('observe_only', models.BooleanField(default=False, help_text='Dry run: record what it would do, change nothing.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('term', 'category', 'kind'), name='unique_term')],
            },
        ),
        migrations.CreateModel(
            name='Strike',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('decision', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='strikes', to='moderation.decision')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='TrustedFlagger',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organisation', models.CharField(max_length=200)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='trusted_flagger', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor_label', models.CharField(blank=True, max_length=64)),
                ('action', models.CharField(db_index=True, max_length=64)),
                ('target_type', models.CharField(max_length=32)),
                ('target_id', models.CharField(max_length=64)),
                ('data', models.JSONField(default=dict)),
                ('prev_hash', models.CharField(max_length=64)),
                ('hash', models.CharField(max_length=64)),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['seq'],
                'indexes': [models.Index(fields=['target_type', 'target_id'], name='moderation__target__e56450_idx')],
            },
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['status', '-priority', 'sla_due_at'], name='moderation__status_a8b06c_idx'),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['open', 'claimed'])), fields=('subject_type', 'subject_id'), name='one_open_case_per_subject'),
        ),
        migrations.AddIndex(
            model_name='bankedhash',
            index=models.Index(fields=['hash_type', 'value'], name='moderation__hash_ty_646ccb_idx'),
        ),
        migrations.AddConstraint(
            model_name='bankedhash',
            constraint=models.UniqueConstraint(fields=('bank', 'hash_type', 'value'), name='unique_banked_hash'),
        ),
        migrations.AddConstraint(
            model_name='appeal',
            constraint=models.UniqueConstraint(fields=('notice', 'appellant'), name='one_appeal_per_notice'),
        ),
        migrations.RunPython(add_guards, drop_guards),
    ]
