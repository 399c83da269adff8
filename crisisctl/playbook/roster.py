"""The roster (`people.yaml`, `kind: Roster`): who the people are, how they sign in, which roles they can hold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from crisisctl.errors import InvalidFileError, Problem
from crisisctl.playbook.fields import API_VERSION_HELP, Checker, Const, Field, ListOf, Obj, Text
from crisisctl.playbook.files import ROSTER_FILE
from crisisctl.playbook.format import PLAIN_TEXT, SLUG, SLUG_LIST
from crisisctl.playbook.vocabulary import API_VERSION
from crisisctl.playbook.yamlsource import LoadedYaml, YMap, YScalar, YSeq, load_file
from crisisctl.suggest import did_you_mean

PERSON = Obj(
    "person",
    {
        "id": Field(SLUG, required=True, description="the name used in --assign, assign and --as"),
        "name": Field(PLAIN_TEXT, required=True, description="the person's full name"),
        "email": Field(PLAIN_TEXT, description="an email address"),
        "phone": Field(PLAIN_TEXT, description='a phone number, quoted: "+351 210 000 000"'),
        "chat": Field(PLAIN_TEXT, description="a chat handle, e.g. @ana"),
        "db_user": Field(
            Text(expected="a database user name"),
            description="the PostgreSQL user this person signs in to a team log as",
        ),
        "roles": Field(SLUG_LIST, description="the roles this person is trained for"),
    },
)
ROSTER = Obj(
    "roster",
    {
        "apiVersion": Field(Const(API_VERSION, "api-version"), required=True, description=API_VERSION_HELP),
        "kind": Field(Const("Roster", "kind"), required=True, description="Roster"),
        "people": Field(ListOf(PERSON, min_items=1), required=True, description="the crisis team"),
    },
)


def roster_json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:crisisctl:schema:roster-v1",
        "title": "crisisctl roster, people.yaml (format v1)",
        **ROSTER.schema(),
    }


class Person(Struct, frozen=True):
    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    db_user: str | None = None
    roles: tuple[str, ...] = ()


class Roster(Struct, frozen=True):
    file: str
    people: tuple[Person, ...]

    @property
    def ids(self) -> list[str]:
        return [person.id for person in self.people]

    def person(self, person_id: str) -> Person | None:
        return next((person for person in self.people if person.id == person_id), None)

    def signed_in_as(self, db_user: str) -> Person | None:
        """The person whose entry names this database user."""
        return next((person for person in self.people if person.db_user == db_user), None)

    def unknown_names(self, names: Iterable[str]) -> list[tuple[str, str | None]]:
        """Names that are no one's id here, each with a did-you-mean (over ids and full names) or None."""
        known = set(self.ids)
        by_name = {person.name: person.id for person in self.people}
        unknown = []
        for name in dict.fromkeys(names):
            if name in known:
                continue
            hint = did_you_mean(name, known)
            if hint is None and name in by_name:
                hint = f"did you mean `{by_name[name]}`? (people are named by their id)"
            unknown.append((name, hint))
        return unknown

    def warnings(self, names: Iterable[str]) -> list[str]:
        """A warning for each name that is no one's id here, with its did-you-mean."""
        return [
            f"{name} is not in the roster {self.file}" + (f"; {hint}" if hint else "")
            for name, hint in self.unknown_names(names)
        ]


class RoleUse(Struct, frozen=True):
    """A role named in the roster, and where."""

    role: str
    line: int
    column: int
    path: str


class ValidatedRoster(Struct):
    file: str
    roster: Roster | None
    problems: list[Problem]
    role_uses: list[RoleUse] = field(default_factory=list)

    def unknown_roles(self, declared: set[str]) -> list[Problem]:
        """Warnings for roles that no playbook of the set declares: probably a typo."""
        return [
            Problem(
                self.file,
                use.line,
                use.column,
                use.path,
                "unknown-role",
                f"no playbook here has the role `{use.role}`",
                did_you_mean(use.role, declared) or "roles are the ids in the playbooks' `roles:`",
            )
            for use in self.role_uses
            if use.role not in declared
        ]


def validate_roster(loaded: LoadedYaml) -> ValidatedRoster:
    """The format, then what spans entries: each id and each database user belongs to one person."""
    result = ValidatedRoster(loaded.file, None, list(loaded.problems))
    document = loaded.document
    if document is None:
        return result
    checker = Checker(loaded.file)
    ROSTER.check(document, "", checker)
    people = document.items.get("people") if isinstance(document, YMap) else None
    entries = [item for item in people.items if isinstance(item, YMap)] if isinstance(people, YSeq) else []
    for key, rule in (("id", "duplicate-person"), ("db_user", "duplicate-db-user")):
        first: dict[str, int] = {}
        for index, entry in enumerate(entries):
            node = entry.items.get(key)
            if not isinstance(node, YScalar) or not isinstance(node.value, str):
                continue
            if node.value in first:
                checker.report(
                    node,
                    f"people[{index}].{key}",
                    rule,
                    f"`{node.value}` is also the {key} of people[{first[node.value]}]",
                    f"each person has their own {key}",
                )
            else:
                first[node.value] = index
    result.problems.extend(checker.problems)
    for index, entry in enumerate(entries):
        roles = entry.items.get("roles")
        for position, role in enumerate(roles.items if isinstance(roles, YSeq) else []):
            if isinstance(role, YScalar) and isinstance(role.value, str):
                path = f"people[{index}].roles[{position}]"
                result.role_uses.append(RoleUse(role.value, role.line, role.column, path))
    if not result.problems:
        result.roster = Roster(loaded.file, tuple(_person(entry) for entry in entries))
    return result


def _person(entry: YMap) -> Person:
    def text(key: str) -> str | None:
        node = entry.items.get(key)
        return node.value if isinstance(node, YScalar) and isinstance(node.value, str) else None

    roles = entry.items.get("roles")
    role_ids = (
        tuple(str(item.value) for item in roles.items if isinstance(item, YScalar)) if isinstance(roles, YSeq) else ()
    )
    return Person(
        id=text("id") or "",
        name=text("name") or "",
        email=text("email"),
        phone=text("phone"),
        chat=text("chat"),
        db_user=text("db_user"),
        roles=role_ids,
    )


def load_roster(folder: Path) -> Roster | None:
    """The roster beside the playbooks, None when there is none; exit 1 listing its problems if invalid."""
    path = folder / ROSTER_FILE
    if not path.is_file():
        return None
    result = validate_roster(load_file(path, str(path)))
    if result.roster is None:
        raise InvalidFileError(f"the roster {path} is not valid ({len(result.problems)} problem(s))", result.problems)
    return result.roster
