"""The chat app's tables, squashed from 0001_initial … 0003_uploads.

A database that has applied all of those records this migration as applied and runs nothing
(docs/operations.md, "Upgrading across the squashed migrations").
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [
        ('chat', '0001_initial'),
        ('chat', '0002_room_lockdown'),
        ('chat', '0003_uploads'),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Conversation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('requested', 'requested'), ('accepted', 'accepted'), ('declined', 'declined'), ('blocked', 'blocked'), ('closed', 'closed')], default='requested', max_length=10)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('initiator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user_high', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user_low', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Room',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=64, unique=True)),
                ('name', models.CharField(max_length=80)),
                ('description', models.CharField(blank=True, max_length=500)),
                ('audience', models.CharField(choices=[('minors', 'minors (13-17)'), ('adults', 'adults (18+)')], max_length=8)),
                ('min_assurance', models.CharField(choices=[('declared', 'declared'), ('estimated', 'estimated'), ('verified', 'verified')], default='declared', max_length=10)),
                ('slow_mode_seconds', models.PositiveIntegerField(default=0)),
                ('max_message_length', models.PositiveIntegerField(default=1000)),
                ('media_allowed', models.BooleanField(default=False)),
                ('status', models.CharField(choices=[('approved', 'approved'), ('pending', 'pending review'), ('rejected', 'rejected')], default='approved', max_length=10)),
                ('is_locked', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('established_only', models.BooleanField(default=False)),
                ('lockdown_reason', models.CharField(blank=True, default='', max_length=16)),
                ('lockdown_started_at', models.DateTimeField(blank=True, null=True)),
                ('shield_previous_slow_mode', models.PositiveIntegerField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('joined_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_posted_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='chat.room')),
            ],
        ),
        migrations.CreateModel(
            name='Upload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('scanning', 'scanning'), ('cleared', 'cleared'), ('blocked', 'blocked (hash match)'), ('rejected', 'rejected')], db_index=True, default='scanning', max_length=10)),
                ('reason', models.CharField(blank=True, default='', max_length=32)),
                ('quarantine_name', models.CharField(blank=True, default='', max_length=255)),
                ('storage_name', models.CharField(blank=True, default='', max_length=255)),
                ('original_size', models.PositiveIntegerField(default=0)),
                ('declared_format', models.CharField(blank=True, default='', max_length=8)),
                ('content_type', models.CharField(blank=True, default='', max_length=32)),
                ('width', models.PositiveIntegerField(blank=True, null=True)),
                ('height', models.PositiveIntegerField(blank=True, null=True)),
                ('sha256', models.CharField(blank=True, db_index=True, default='', max_length=64)),
                ('pdq_hash', models.CharField(blank=True, default='', max_length=64)),
                ('pdq_quality', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('match', models.JSONField(blank=True, default=dict)),
                ('legal_hold', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('scanned_at', models.DateTimeField(blank=True, null=True)),
                ('conversation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='chat.conversation')),
                ('room', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='chat.room')),
                ('uploader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='uploads', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField()),
                ('status', models.CharField(choices=[('visible', 'visible'), ('held', 'held for review'), ('removed', 'removed'), ('deleted', 'deleted by its author')], default='visible', max_length=10)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to=settings.AUTH_USER_MODEL)),
                ('conversation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='chat.conversation')),
                ('room', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='chat.room')),
                ('image', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='message', to='chat.upload')),
            ],
        ),
        migrations.AddConstraint(
            model_name='conversation',
            constraint=models.UniqueConstraint(fields=('user_low', 'user_high'), name='unique_pair'),
        ),
        migrations.AddConstraint(
            model_name='room',
            constraint=models.CheckConstraint(condition=models.Q(('audience', 'minors'), ('media_allowed', True), _negated=True), name='no_media_in_minors_rooms'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(fields=('room', 'user'), name='unique_membership'),
        ),
        migrations.AddConstraint(
            model_name='upload',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('conversation__isnull', True), ('room__isnull', False)), models.Q(('conversation__isnull', False), ('room__isnull', True)), _connector='OR'), name='upload_in_room_xor_conversation'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['room', 'id'], name='chat_messag_room_id_12c833_idx'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['conversation', 'id'], name='chat_messag_convers_0a488e_idx'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['created_at'], name='chat_messag_created_b6b51c_idx'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('conversation__isnull', True), ('room__isnull', False)), models.Q(('conversation__isnull', False), ('room__isnull', True)), _connector='OR'), name='message_in_room_xor_conversation'),
        ),
    ]
