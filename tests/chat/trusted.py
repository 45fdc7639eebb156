"""A helper for tests that need two people of neighbouring bands to talk in private: what it
takes since direct messages across bands need a trusted connection (chat.services.trusted)."""

from __future__ import annotations

from accounts.models import User
from chat import services as chat_services


def trusted_pair(proposer: User, other: User, *, level: str = "estimated") -> str:
    """Both at `level` (the default required one), in one minors' room of their own, and an
    accepted trusted connection between them; returns its id."""
    for person in (proposer, other):
        person.assurance_level = level
        person.save(update_fields=["assurance_level"])
    room = chat_services.create_room(slug=f"trusted-{proposer.pk}-{other.pk}", name="Trusted pair",
                                     audience="minors")
    for person in (proposer, other):
        chat_services.join_room(user=person, slug=room.slug)
    proposed = chat_services.propose_trusted_connection(user=proposer, target_id=other.pk)
    return chat_services.accept_trusted_connection(user=other, connection_id=proposed["id"])["id"]
