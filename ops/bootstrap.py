"""A new deployment's first steps (`manage.py bootstrap`): the first operator, the default
rooms, and a look at the policies in force. Idempotent: a second run creates nothing and
changes nothing it finds already there, so it can be part of every deployment script.

Everything goes through the services the admin uses, so each change is on the audit log like
an operator's: accounts.services (`account.created`, `role.granted`), chat.services
(`room.created`).

The policies are not written: with no row, the screening policy, the anti-abuse numbers, the
contact matrix and the rate limits are the safe defaults in code, and a row written here would
pin today's defaults against a later release's (docs/decisions.md, "Bootstrap").
"""

from __future__ import annotations

from accounts import services as accounts_services
from accounts.models import AbusePolicy, ContactRule, RateLimitRule, User
from chat import services as chat_services
from chat.models import Room
from moderation.models import AllowedTerm, ScreeningPolicy, ScreeningTerm

# The rooms a deployment starts with (docs/operations.md, "After the first deployment"); each
# is an ordinary room that operators edit or close in the admin. Minors' rooms ask for an
# estimated age (docs/age-assurance.md), so they open once an estimation provider is set up.
DEFAULT_ROOMS: tuple[dict[str, str], ...] = (
    {"slug": "bienvenue", "name": "Bienvenue", "audience": "adults",
     "description": "Faire connaissance entre adultes."},
    {"slug": "entre-ados", "name": "Entre ados", "audience": "minors", "min_assurance": "estimated",
     "description": "Discussion libre entre 13-17 ans. Vérification d'âge estimée requise."},
)


def ensure_operator(*, pseudonym: str, password: str | None) -> tuple[User, bool]:
    """The operator account `pseudonym`: an existing account gets the operator roles it lacks
    (its password untouched); otherwise one is made with `password` (required then)."""
    user = accounts_services.find_account(pseudonym)
    if user is None:
        if password is None:
            raise ValueError("a password is needed to create the operator")
        return accounts_services.create_operator(pseudonym=pseudonym, password=password), True
    for role in accounts_services.OPERATOR_ROLES:
        user = accounts_services.change_role(actor=None, user_id=user.pk, role=role, granted=True)
    return user, False


def operator_exists(pseudonym: str) -> bool:
    return accounts_services.find_account(pseudonym) is not None


def ensure_rooms(rooms: tuple[dict[str, str], ...] = DEFAULT_ROOMS) -> tuple[list[str], list[str]]:
    """Create the rooms whose slug is free (`room.created`, by the command line); a room
    already there is left as the operators made it. Returns (created, present) slugs."""
    created, present = [], []
    for spec in rooms:
        if Room.objects.filter(slug=spec["slug"]).exists():
            present.append(spec["slug"])
        else:
            chat_services.add_room(actor=None, **spec)
            created.append(spec["slug"])
    return created, present


def policies_in_force() -> list[str]:
    """One line per policy: where its values come from today."""
    def source(model) -> str:
        return "the operators' row" if model.objects.filter(pk=1).exists() else "the safe defaults in code"

    return [
        f"screening policy: {source(ScreeningPolicy)}",
        f"term lists: the shipped lists, plus {ScreeningTerm.objects.count()} operator term(s) "
        f"and {AllowedTerm.objects.count()} allowed term(s)",
        f"anti-abuse numbers: {source(AbusePolicy)}",
        f"rate limits: defaults in code, {RateLimitRule.objects.count()} override(s)",
        f"age-band contact matrix: the safe default, {ContactRule.objects.count()} override(s)",
    ]
