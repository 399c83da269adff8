"""Delivery settings from a TOML file; secrets only ever from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import tomllib
from pathlib import Path
from typing import Any

from msgspec import Struct, field
from msgspec.structs import replace

from crisisctl.errors import UsageError
from crisisctl.settings import ENV_CONFIG, config_file

SECURITY_MODES = ("starttls", "tls", "none")


class SmtpSettings(Struct, frozen=True):
    host: str
    port: int = 587
    security: str = "starttls"
    sender: str = "crisisctl@localhost"
    username_env: str = "CRISISCTL_SMTP_USER"
    password_env: str = "CRISISCTL_SMTP_PASSWORD"
    timeout: float = 15.0
    ca_file: str | None = None  # a CA bundle to trust instead of the system's (a company's own CA)

    def tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified; ca_file only changes whom to trust."""
        return ssl.create_default_context(cafile=self.ca_file)

    def credentials(self) -> tuple[str, str] | None:
        user = os.environ.get(self.username_env)
        return (user, os.environ.get(self.password_env, "")) if user else None


# What may notify the team (docs/communications.md, "Telling the team"); a target takes all unless it names some.
NOTIFY_KINDS = ("declared", "severity", "assigned", "approval", "due", "overdue", "resolved")
# Playbook channels a notification target can carry to customers (e-mail goes by SMTP).
TARGET_CHANNELS = ("sms", "chat", "webhook")


class NotifyTarget(Struct, frozen=True):
    """A named notification target: an Apprise URL read from the environment when it is used, never stored."""

    name: str
    url_env: str
    kinds: tuple[str, ...] = NOTIFY_KINDS
    person: str | None = None  # only what is addressed to this person (their role, their approvals)

    def url(self) -> str:
        url = os.environ.get(self.url_env, "").strip()
        if not url:
            raise UsageError(
                f"the notification target {self.name} reads its URL from {self.url_env}, which is not set",
                f"export {self.url_env}='json://chat.example.com/hook' (an Apprise URL), or remove the target",
            )
        return url


class DeliveryConfig(Struct, frozen=True):
    smtp: SmtpSettings | None = None
    recipients: dict[str, list[str]] = field(default_factory=dict)
    group_shared_outbox: bool = False  # outbox folders 2770 and files 0640, for a team sharing one machine
    targets: dict[str, NotifyTarget] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # channel -> the target that delivers it


def load_config(path: Path | None = None) -> DeliveryConfig:
    """The settings; none at all when the default file does not exist, an error when a named one does not."""
    named = path is not None
    if path is None:
        path, named = config_file()
    if not path.exists():
        if named:
            raise UsageError(
                f"the configuration {path} does not exist",
                f"fix the path in {ENV_CONFIG}, or unset it to use the default file",
            )
        return DeliveryConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read the configuration {path}: {error}", "see docs/communications.md") from None
    targets, with_events = _targets(data.get("notify", {}), path)
    channels = _channels(data.get("channels", {}), targets, path)
    for name in set(channels.values()) - with_events:  # a customer channel tells the team only if it says so
        targets[name] = replace(targets[name], kinds=())
    return DeliveryConfig(
        _smtp(data.get("smtp"), path),
        _recipients(data.get("recipients", {}), path),
        _group_shared(data.get("outbox", {}), path),
        targets,
        channels,
    )


_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _valid_host(host: str) -> bool:
    """An IP address, or a DNS name of ASCII labels of at most 63 characters (write IDN names as xn--)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in host.removesuffix(".").split("."))


def _smtp(section: Any, path: Path) -> SmtpSettings | None:
    if section is None:
        return None
    known = {"host", "port", "security", "from", "username_env", "password_env", "timeout", "ca_file"}
    if not isinstance(section, dict) or "host" not in section or set(section) - known:
        raise UsageError(
            f"{path}: [smtp] needs `host` and knows only {', '.join(sorted(known))}", "see docs/communications.md"
        )
    security = section.get("security", "starttls")
    if security not in SECURITY_MODES:
        raise UsageError(f"{path}: [smtp] security must be one of {', '.join(SECURITY_MODES)}", "starttls is usual")
    port = section.get("port", 587)
    if type(port) is not int or not 1 <= port <= 65535:
        raise UsageError(f"{path}: [smtp] port must be a whole number from 1 to 65535", "587 for STARTTLS, 465 for TLS")
    timeout = section.get("timeout", 15)
    if type(timeout) not in (int, float) or not 1 <= timeout <= 600:
        raise UsageError(f"{path}: [smtp] timeout must be a number of seconds from 1 to 600", "15 is usual")
    host = section["host"]
    if not isinstance(host, str) or not _valid_host(host):
        raise UsageError(f"{path}: [smtp] host must be a host name or an IP address", 'host = "smtp.example.com"')
    settings = SmtpSettings(
        host=host,
        port=port,
        security=security,
        sender=str(section.get("from", "crisisctl@localhost")),
        username_env=str(section.get("username_env", "CRISISCTL_SMTP_USER")),
        password_env=str(section.get("password_env", "CRISISCTL_SMTP_PASSWORD")),
        timeout=float(timeout),
        ca_file=str(section["ca_file"]) if "ca_file" in section else None,
    )
    if security == "none" and settings.credentials() and not _loopback(host):
        raise UsageError(
            f'{path}: [smtp] security = "none" would send the password for {settings.username_env} '
            f"in clear text to {host}",
            'use security = "starttls" or "tls"; "none" is for a relay on this machine (localhost) only',
        )
    return settings


def _loopback(host: str) -> bool:
    if host.lower().removesuffix(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _group_shared(section: Any, path: Path) -> bool:
    if (
        not isinstance(section, dict)
        or set(section) - {"group_shared"}
        or type(section.get("group_shared", False)) is not bool
    ):
        raise UsageError(f"{path}: [outbox] knows only group_shared = true|false", "see docs/communications.md")
    return bool(section.get("group_shared", False))


def _recipients(section: Any, path: Path) -> dict[str, list[str]]:
    if not isinstance(section, dict) or not all(
        isinstance(value, list) and all(isinstance(item, str) for item in value) for value in section.values()
    ):
        raise UsageError(
            f"{path}: [recipients] maps an audience to a list of addresses", 'customers = ["a@example.com"]'
        )
    return {audience: list(addresses) for audience, addresses in section.items()}


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _targets(section: Any, path: Path) -> tuple[dict[str, NotifyTarget], set[str]]:
    """`[notify.NAME]` tables: url_env (required), events (a subset of NOTIFY_KINDS), person; and the names of
    those that list their events."""
    example = '[notify.ops-chat]\nurl_env = "CRISISCTL_NOTIFY_OPS_CHAT"'
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [notify] holds one table per target", example)
    targets = {}
    explicit: dict[str, bool] = {}
    for name, table in section.items():
        where = f"{path}: [notify.{name}]"
        if not isinstance(table, dict) or set(table) - {"url_env", "events", "person"}:
            raise UsageError(f"{where} knows only url_env, events and person", example)
        url_env = table.get("url_env")
        if not isinstance(url_env, str) or not _ENV_NAME.fullmatch(url_env):
            raise UsageError(
                f"{where} needs url_env, the name of the environment variable holding its Apprise URL",
                "URLs carry tokens, so they are read from the environment and never written in a file",
            )
        kinds = table.get("events", list(NOTIFY_KINDS))
        explicit[str(name)] = "events" in table
        if not isinstance(kinds, list) or not kinds or any(kind not in NOTIFY_KINDS for kind in kinds):
            raise UsageError(f"{where} events must be a list of {', '.join(NOTIFY_KINDS)}", 'events = ["overdue"]')
        person = table.get("person")
        if person is not None and (not isinstance(person, str) or not person.strip()):
            raise UsageError(f"{where} person must be a roster id or a name", 'person = "ana"')
        targets[str(name)] = NotifyTarget(str(name), url_env, tuple(kinds), person)
    return targets, {name for name, named in explicit.items() if named}


def _channels(section: Any, targets: dict[str, NotifyTarget], path: Path) -> dict[str, str]:
    """`[channels]`: sms, chat or webhook = the target that carries such notices to customers."""
    if not isinstance(section, dict) or set(section) - set(TARGET_CHANNELS):
        raise UsageError(f"{path}: [channels] knows only {', '.join(TARGET_CHANNELS)}", 'sms = "sms-gateway"')
    for channel, target in section.items():
        if target not in targets:
            known = ", ".join(sorted(targets)) or "none"
            raise UsageError(
                f"{path}: [channels] {channel} names the target {target!r}, which no [notify.…] table defines",
                f"define [notify.{target}] (targets now: {known})",
            )
    return {str(channel): str(target) for channel, target in section.items()}
