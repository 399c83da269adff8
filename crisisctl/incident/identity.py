"""Who acts: on a team log with a roster, the person whose database user signed in, whatever `--as` claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from crisisctl.errors import RefusedError

if TYPE_CHECKING:  # the roster's YAML machinery is loaded only by the commands that resolve an identity
    from crisisctl.playbook.roster import Roster


class Identity(Struct, frozen=True):
    """The actor recorded on events; `unvouched_in` names the roster that lacks the signed-in database user."""

    actor: str
    db_user: str | None = None
    unvouched_in: str | None = None

    def require_vouched(self) -> None:
        """Decisions bound to a role (approvals) need a person the roster vouches for, when there is a roster."""
        if self.unvouched_in is not None:
            raise RefusedError(
                f"the database user {self.db_user} is nobody's db_user in the roster {self.unvouched_in}, "
                "so it cannot approve",
                f"add `db_user: {self.db_user}` to your entry in {self.unvouched_in}",
            )


def resolve_identity(claimed: str | None, fallback: str, db_user: str | None, roster: Roster | None) -> Identity:
    """Without a database user (SQLite) or a roster: whoever `--as` names, else `fallback` (the login name).

    With both: the roster's person for the signed-in database user. A `--as` naming anyone else is refused,
    and so is a database user outside the roster claiming a person who signs in with another one.
    """
    if db_user is None or roster is None:
        return Identity(claimed or fallback, db_user)
    person = roster.signed_in_as(db_user)
    if person is not None:
        if claimed is not None and claimed != person.id:
            raise RefusedError(
                f"you signed in to the log as the database user {db_user}, who is {person.id} in the roster "
                f"{roster.file}: --as {claimed} contradicts that",
                f"leave out --as (and CRISISCTL_USER); {claimed} signs in with their own database user",
            )
        return Identity(person.id, db_user)
    actor = claimed or fallback
    named = roster.person(actor)
    if named is not None and named.db_user is not None:
        raise RefusedError(
            f"{actor} signs in to the log as the database user {named.db_user}, not {db_user} (roster {roster.file})",
            f"sign in as {named.db_user}, or add `db_user: {db_user}` to your own entry in the roster",
        )
    return Identity(actor, db_user, roster.file)
