"""The accounts app's tables, squashed from 0001_initial … 0008_pseudonym_skeleton_key.

A database that has applied all of those records this migration as applied and runs nothing
(docs/operations.md, "Upgrading across the squashed migrations"). The data step of 0008
(pseudonym keys become confusable skeletons) is kept, with its reverse: on a new database it
has no rows to change.
"""

import accounts.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _use_skeleton_keys(apps, schema_editor):
    from accounts.pseudonyms import pseudonym_key

    User = apps.get_model("accounts", "User")
    rows = list(User.objects.order_by("pk").values_list("pk", "pseudonym", "pseudonym_key", "deleted_at"))
    taken: set[str] = set()
    wanted: dict[int, str] = {}
    # Deleted accounts keep their tombstone key ("deleted-<id>"); it is unique by construction.
    for pk, _name, key, deleted_at in rows:
        if deleted_at is not None:
            taken.add(key)
            wanted[pk] = key
    # The oldest account of each group of look-alikes gets the skeleton key.
    for pk, name, _key, deleted_at in rows:
        if deleted_at is None:
            skeleton_key = pseudonym_key(name)
            if skeleton_key not in taken:
                taken.add(skeleton_key)
                wanted[pk] = skeleton_key
    # The others keep their key, or, should it be someone's skeleton, a suffixed one.
    for pk, _name, key, deleted_at in rows:
        if pk not in wanted:
            fallback = key if key not in taken else f"{key}~{pk}"
            taken.add(fallback)
            wanted[pk] = fallback
    changed = [(pk, wanted[pk]) for pk, _name, key, _deleted in rows if wanted[pk] != key]
    # Two passes, so that no intermediate state breaks the unique index (a key may move
    # from one account to another).
    for pk, _key in changed:
        User.objects.filter(pk=pk).update(pseudonym_key=f"~migrating~{pk}")
    for pk, key in changed:
        User.objects.filter(pk=pk).update(pseudonym_key=key)


def _use_casefolded_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    # Deleted accounts kept their tombstone key; the others go back to the case-folded name.
    rows = list(User.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", "pseudonym"))
    for pk, _name in rows:
        User.objects.filter(pk=pk).update(pseudonym_key=f"~migrating~{pk}")
    for pk, name in rows:
        User.objects.filter(pk=pk).update(pseudonym_key=name.casefold())


class Migration(migrations.Migration):

    replaces = [
        ('accounts', '0001_initial'),
        ('accounts', '0002_reassurance'),
        ('accounts', '0003_user_mutes'),
        ('accounts', '0004_throttle_policy'),
        ('accounts', '0005_first_contact_scope'),
        ('accounts', '0006_user_language'),
        ('accounts', '0007_session_epoch'),
        ('accounts', '0008_pseudonym_skeleton_key'),
    ]

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='User',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('password', models.CharField(max_length=128, verbose_name='password')),
                ('last_login', models.DateTimeField(blank=True, null=True, verbose_name='last login')),
                ('is_superuser', models.BooleanField(default=False, help_text='Designates that this user has all permissions without explicitly assigning them.', verbose_name='superuser status')),
                ('pseudonym', models.CharField(max_length=32)),
                ('pseudonym_key', models.CharField(editable=False, max_length=255, unique=True)),
                ('age_band', models.CharField(choices=[('13-15', '13-15'), ('16-17', '16-17'), ('18+', '18+')], max_length=5)),
                ('band_until', models.DateField(blank=True, null=True)),
                ('assurance_level', models.CharField(choices=[('declared', 'declared'), ('estimated', 'estimated'), ('verified', 'verified')], default='declared', max_length=10)),
                ('assurance_method', models.CharField(default='self_declaration', max_length=32)),
                ('assurance_provider', models.CharField(default='declared', max_length=32)),
                ('assured_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('dm_policy', models.CharField(choices=[('nobody', 'nobody'), ('shared_rooms', 'people in my rooms'), ('anyone_in_band', 'anyone I may talk to')], max_length=16)),
                ('is_moderator', models.BooleanField(default=False)),
                ('is_operator', models.BooleanField(default=False)),
                ('is_legal', models.BooleanField(default=False, help_text='May read connection records.')),
                ('is_active', models.BooleanField(default=True)),
                ('is_staff', models.BooleanField(default=False)),
                ('suspended_until', models.DateTimeField(blank=True, null=True)),
                ('banned', models.BooleanField(default=False)),
                ('muted_until', models.DateTimeField(blank=True, null=True)),
                ('reassurance_required', models.BooleanField(default=False)),
                ('reassurance_level', models.CharField(blank=True, choices=[('declared', 'declared'), ('estimated', 'estimated'), ('verified', 'verified')], max_length=10)),
                ('reassurance_reason', models.CharField(blank=True, max_length=64)),
                ('date_joined', models.DateTimeField(default=django.utils.timezone.now)),
                ('language', models.CharField(blank=True, default='', max_length=8)),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
                ('session_epoch', models.PositiveIntegerField(default=0)),
                ('groups', models.ManyToManyField(blank=True, help_text='The groups this user belongs to. A user will get all permissions granted to each of their groups.', related_name='user_set', related_query_name='user', to='auth.group', verbose_name='groups')),
                ('user_permissions', models.ManyToManyField(blank=True, help_text='Specific permissions for this user.', related_name='user_set', related_query_name='user', to='auth.permission', verbose_name='user permissions')),
            ],
            managers=[
                ('objects', accounts.models.UserManager()),
            ],
        ),
        migrations.CreateModel(
            name='AbusePolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('new_account_hours', models.PositiveIntegerField(default=24, help_text='Accounts younger than this may send neither DM requests nor links, get the tighter limits, and count towards join waves.')),
                ('join_wave_accounts', models.PositiveIntegerField(default=8, help_text='New accounts joining one room within the window that lock it down.')),
                ('join_wave_window_seconds', models.PositiveIntegerField(default=120)),
                ('first_contact_ban_scope', models.CharField(choices=[('minors', "accounts in minors' bands"), ('everyone', 'every account')], default='minors', help_text="Whose new accounts may send no DM request at all. Minors' spaces are where a fresh account posing as a teenager does harm; new adults get the tighter limits.", max_length=8)),
                ('flood_refusals', models.PositiveIntegerField(default=20, help_text='Rate-limited frames within the window that close a socket (4008).')),
                ('flood_window_seconds', models.PositiveIntegerField(default=10)),
                ('shield_slow_mode_seconds', models.PositiveIntegerField(default=30, help_text='Slow mode a room gets when a moderator raises its shield.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'abuse policy',
                'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='abuse_policy_single_row'), models.CheckConstraint(condition=models.Q(('flood_refusals__gte', 1), ('flood_window_seconds__gte', 1), ('join_wave_accounts__gte', 1), ('join_wave_window_seconds__gte', 1)), name='abuse_policy_positive')],
            },
        ),
        migrations.CreateModel(
            name='ConnectionLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user_id_snapshot', models.BigIntegerField()),
                ('kind', models.CharField(choices=[('signup', 'Signup'), ('login', 'Login'), ('websocket', 'Websocket')], max_length=16)),
                ('ip', models.GenericIPAddressField(null=True)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='ContactRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_a', models.CharField(choices=[('13-15', '13-15'), ('16-17', '16-17'), ('18+', '18+')], max_length=5)),
                ('band_b', models.CharField(choices=[('13-15', '13-15'), ('16-17', '16-17'), ('18+', '18+')], max_length=5)),
                ('allowed', models.BooleanField()),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('band_a', 'band_b'), name='unique_band_pair')],
            },
        ),
        migrations.CreateModel(
            name='RateLimitRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=40, unique=True)),
                ('limit', models.PositiveIntegerField()),
                ('period_seconds', models.PositiveIntegerField()),
                ('new_account_limit', models.PositiveIntegerField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('limit__gte', 1), ('period_seconds__gte', 1)), name='rate_limit_positive')],
            },
        ),
        migrations.CreateModel(
            name='UserBlock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('blocked', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='blocks_received', to=settings.AUTH_USER_MODEL)),
                ('blocker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='blocks_made', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='UserMute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('muted', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mutes_received', to=settings.AUTH_USER_MODEL)),
                ('muter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mutes_made', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddIndex(
            model_name='user',
            index=models.Index(fields=['band_until'], name='accounts_us_band_un_09ee42_idx'),
        ),
        migrations.AddConstraint(
            model_name='userblock',
            constraint=models.UniqueConstraint(fields=('blocker', 'blocked'), name='unique_block'),
        ),
        migrations.AddConstraint(
            model_name='usermute',
            constraint=models.UniqueConstraint(fields=('muter', 'muted'), name='unique_mute'),
        ),
        migrations.RunPython(_use_skeleton_keys, _use_casefolded_keys),
    ]
