"""Audit settings: the ``[audit]`` table of the replylint config file (or
``[tool.replylint.audit]`` in pyproject.toml), overridden by command-line flags.

    [audit]
    map = { text = "body", agent = "author", ticket = "ticket_id", created_at = "created",
            id = "message_id", direction = "from_role", status = "status", public = "public" }
    agent-values = ["agent", "support"]        # direction values that mark our replies
    customer-values = ["customer", "end-user"] # direction values that mark customer messages
    agent-domains = ["support.example.com"]    # mail/mbox: senders at these domains are agents
    timezone = "Asia/Kolkata"                  # naive timestamps, business days, weeks
    business-days = ["mon", "tue", "wed", "thu", "fri"]
    holidays = ["2024-12-25"]
    closed-statuses = ["closed", "resolved", "solved"]
    input-format = "auto"                      # text | markdown | html | eml | auto
    ignore = ["left-behind"]                   # thread rule ids to skip
    source = "zendesk"                         # prefix of this helpdesk's ticket and message ids
    [audit.threads.request-rounds]             # thread rule options
    max-rounds = 3

Every error names the file (or flag) and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..config import ConfigError, check_options, read_config_file
from .timeutil import WEEKDAYS, BusinessCalendar, TimeError, zone

MAP_FIELDS = ("text", "id", "ticket", "agent", "created_at", "direction", "status", "format", "public", "private")
# Whether a message is public or an internal note: read only when mapped (a
# column of that name alone says nothing of which way round it is meant).
VISIBILITY_FIELDS = ("public", "private")
DEFAULT_MAP = MappingProxyType({name: name for name in MAP_FIELDS})
DEFAULT_AGENT_VALUES = ("agent", "support", "staff", "engineer", "outbound", "out", "reply", "public_reply", "admin")
DEFAULT_CUSTOMER_VALUES = ("customer", "end-user", "enduser", "end_user", "requester", "inbound", "in", "user",
                           "client", "contact")
DEFAULT_CLOSED = ("closed", "resolved", "solved", "done")
INPUT_FORMATS = ("auto", "text", "markdown", "html", "eml")
_KEYS = {"map", "agent-values", "customer-values", "agent-domains", "timezone", "business-days", "holidays",
         "closed-statuses", "input-format", "ignore", "threads", "source"}
# A source name prefixes ids ("zendesk:1201"): a short word, so that reports stay
# readable and the prefix cannot be mistaken for part of an id.
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
# The fields that say which message and ticket a row is, what it says and who
# sent it: an export read with the same columns for them is taken to come from
# the same helpdesk (see AuditConfig.source_key). The agent and time columns
# are left out: correcting their mapping on a re-export is no other helpdesk.
IDENTITY_FIELDS = ("id", "ticket", "text", "direction")


@dataclass(frozen=True)
class AuditConfig:
    field_map: Mapping[str, str] = field(default_factory=lambda: DEFAULT_MAP)
    mapped: frozenset[str] = frozenset()  # logical fields the user mapped explicitly
    agent_values: tuple[str, ...] = DEFAULT_AGENT_VALUES
    customer_values: tuple[str, ...] = DEFAULT_CUSTOMER_VALUES
    agent_domains: tuple[str, ...] = ()
    timezone: str = "UTC"
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[date, ...] = ()
    closed_statuses: tuple[str, ...] = DEFAULT_CLOSED
    input_format: str = "auto"
    ignore: tuple[str, ...] = ()
    thread_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The helpdesk these inputs come from ("zendesk"): prefixes their ticket and
    # message ids, so that two helpdesks in one database never share a ticket.
    source: str | None = None

    def reads(self, name: str) -> bool:
        """Whether rows are read for field ``name``. A column named like a field
        is that field (an export written for replylint), so a map that names
        only the text still finds ``ticket`` and ``created_at`` columns. The
        status is the exception: once the user maps any column, a helpdesk
        export's own "status" column (the ticket's current status on every row)
        is not taken for a status nobody named. Public/private is read only
        when mapped: a column of that name does not say which way round it is."""
        if name in VISIBILITY_FIELDS:
            return name in self.mapped
        if name == "status":
            return not self.mapped or name in self.mapped
        return True

    def source_key(self, table_input: bool) -> str | None:
        """What stands for the helpdesk an input comes from, to tell a re-export
        (the same helpdesk: same ids are the same messages) from another
        helpdesk whose ids happen to be the same: the declared source, else, for
        an export, the columns the map reads for the identity fields (a
        helpdesk's re-exports are read with the same map; Zendesk and Freshdesk
        need different ones). None for folders and mail, whose ids come from
        paths and Message-IDs and are not read through the map."""
        if self.source is not None:
            return f"source {self.source}"
        if not table_input:
            return None
        return "columns " + ", ".join(f"{name}={self.field_map[name]}" for name in IDENTITY_FIELDS)

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(zone(self.timezone), frozenset(self.business_days), frozenset(self.holidays))

    def with_map(self, spec: str | None, where: str = "--map") -> AuditConfig:
        if not spec:
            return self
        extra = parse_map(spec, where)
        return replace(self, field_map=MappingProxyType({**self.field_map, **extra}), mapped=self.mapped | set(extra))


def check_source_name(name: str, where: str) -> str:
    """A source name as given (``--source`` or ``[audit] source``), validated."""
    if not isinstance(name, str) or not SOURCE_NAME.fullmatch(name):
        raise ConfigError(f"{where}: {name!r} is not a source name: use a short word of letters, digits, '.', '_' or '-' "
                          "(e.g. zendesk, freshdesk)")
    return name


def parse_map(spec: str, where: str = "--map") -> dict[str, str]:
    """``text=body,agent=author`` -> {"text": "body", "agent": "author"}."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not column:
            raise ConfigError(f"{where}: '{part}' must look like FIELD=COLUMN (e.g. text=body)")
        if name not in MAP_FIELDS:
            raise ConfigError(f"{where}: unknown field '{name}' (known: {', '.join(MAP_FIELDS)})")
        out[name] = column
    return out


def read_config_table(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Split a config file into (replylint table without audit, audit table, key prefix)."""
    table, prefix = read_config_file(path)
    audit = table.pop("audit", {})
    if not isinstance(audit, dict):
        raise ConfigError(f"{path}: key '{prefix}audit' must be a table")
    return table, audit, prefix


def parse_audit_table(table: Mapping[str, Any], where: str, thread_defaults: Mapping[str, Mapping[str, Any]]) -> AuditConfig:
    """Validate an ``[audit]`` table. ``thread_defaults`` maps thread rule ids to
    their default options, so unknown rules, options and wrong types are caught."""

    def err(key: str, msg: str) -> ConfigError:
        return ConfigError(f"{where}: key '{key}': {msg}")

    def str_list(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(key, "must be a list of strings")
        return tuple(value)

    for key in table:
        if key not in _KEYS:
            raise err(key, f"unknown key (known: {', '.join(sorted(_KEYS))})")
    field_map = dict(DEFAULT_MAP)
    raw_map = table.get("map", {})
    if not isinstance(raw_map, dict) or not all(isinstance(v, str) and v for v in raw_map.values()):
        raise err("map", "must be a table of field = \"column\"")
    for name in raw_map:
        if name not in MAP_FIELDS:
            raise err(f"map.{name}", f"unknown field (known: {', '.join(MAP_FIELDS)})")
    field_map.update(raw_map)
    timezone_name = table.get("timezone", "UTC")
    if not isinstance(timezone_name, str):
        raise err("timezone", "must be a time zone name such as 'Europe/Berlin'")
    try:
        zone(timezone_name)
    except TimeError as exc:
        raise err("timezone", str(exc)) from None
    days = []
    for d in str_list("business-days", ("mon", "tue", "wed", "thu", "fri")):
        matches = [i for i, name in enumerate(WEEKDAYS) if name.startswith(d.lower()[:3]) and len(d) >= 3]
        if not matches:
            raise err("business-days", f"{d!r} is not a weekday (use mon, tue, ... sun)")
        days.append(matches[0])
    if not days:
        raise err("business-days", "needs at least one day")
    holidays = []
    for h in table.get("holidays", []):
        try:
            holidays.append(h if isinstance(h, date) else date.fromisoformat(str(h)))
        except ValueError:
            raise err("holidays", f"{h!r} is not a date (use YYYY-MM-DD)") from None
    input_format = table.get("input-format", "auto")
    if input_format not in INPUT_FORMATS:
        raise err("input-format", f"must be one of {', '.join(INPUT_FORMATS)}")
    ignore = str_list("ignore", ())
    for rid in ignore:
        if rid not in thread_defaults:
            raise err("ignore", f"unknown thread rule '{rid}' (known: {', '.join(sorted(thread_defaults))})")
    source = table.get("source")
    if source is not None:
        check_source_name(source, f"{where}: key 'source'")
    options: dict[str, dict[str, Any]] = {}
    threads = table.get("threads", {})
    if not isinstance(threads, dict):
        raise err("threads", "must be a table of [audit.threads.RULE-ID] tables")
    for rid, opts in threads.items():
        if rid not in thread_defaults:
            raise err(f"threads.{rid}", f"unknown thread rule (known: {', '.join(sorted(thread_defaults))})")
        if not isinstance(opts, dict):
            raise err(f"threads.{rid}", "must be a table of options")
        check_options(thread_defaults[rid], opts, f"threads.{rid}", err)
        options[rid] = dict(opts)
    return AuditConfig(
        field_map=MappingProxyType(field_map),
        mapped=frozenset(raw_map),
        agent_values=tuple(v.lower() for v in str_list("agent-values", DEFAULT_AGENT_VALUES)),
        customer_values=tuple(v.lower() for v in str_list("customer-values", DEFAULT_CUSTOMER_VALUES)),
        agent_domains=tuple(d.lower().lstrip("@") for d in str_list("agent-domains", ())),
        timezone=timezone_name,
        business_days=tuple(sorted(set(days))),
        holidays=tuple(holidays),
        closed_statuses=tuple(v.lower() for v in str_list("closed-statuses", DEFAULT_CLOSED)),
        input_format=input_format,
        ignore=ignore,
        thread_options=MappingProxyType(options),
        source=source,
    )
