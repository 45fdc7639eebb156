"""Pseudonyms are compared by their confusable skeleton (accounts/pseudonyms.py): each
account's key becomes the skeleton of its name.

Accounts whose names were already look-alikes of each other ("bob" and "bоb") cannot all get
the same key: the oldest gets it, the others keep their old key (the case-folded name), so
that nobody loses their account and each still signs in with the exact name they chose
(`UserManager.find_by_pseudonym` prefers an exact match). New look-alikes are refused.
"""

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

    dependencies = [
        ("accounts", "0007_session_epoch"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="pseudonym_key",
            field=models.CharField(editable=False, max_length=255, unique=True),
        ),
        migrations.RunPython(_use_skeleton_keys, _use_casefolded_keys),
    ]
