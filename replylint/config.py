"""Configuration: ``[tool.replylint]`` in pyproject.toml, or ``.replylint.toml``.

Found by searching upward from the checked file (or the working directory);
``--config`` names one explicitly. Every error names the file and the key.

Keys (kebab-case, as ruff and pre-commit users expect)::

    select = ["ALL"]                  # rule ids to run (default: all)
    ignore = ["unstated-assumption"]  # rule ids to skip
    fail-level = "warning"            # error | warning | info
    min-score = 60                    # exit 1 below this score
    model = "en_core_web_sm"          # optional installed spaCy pipeline
    max-bytes = 10485760              # larger inputs are refused with an error
    extra-checks = ["support-pack"]   # more check folders (relative to the config file)
    templates = ["my-templates"]      # template folders searched before the bundled one
    [severity]                        # re-level rules
    bounce-back = "error"
    [rules.readability]               # rule options (see `replylint explain RULE`)
    max-sentence-words = 30
    [lexicons]                        # extend the shared phrase lists
    products = ["APIM", "Identity Server"]
    [penalties]                       # score points lost per finding severity
    error = 25
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .inputs import MAX_BYTES_DEFAULT

LEVELS = ("error", "warning", "info")
DEFAULT_PENALTIES = MappingProxyType({"error": 25, "warning": 10, "info": 2})
CONFIG_NAMES = (".replylint.toml", "replylint.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration file is wrong; the message names file and key."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    element_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    lexicons: Mapping[str, list[str]] = field(default_factory=dict)
    check_folders: tuple[Path, ...] = ()
    template_folders: tuple[Path, ...] = ()
    fail_level: str = "warning"
    min_score: int | None = None
    model: str | None = None
    max_bytes: int = MAX_BYTES_DEFAULT
    penalties: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PENALTIES))
    path: Path | None = None  # the file the settings came from

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def selects(self, rule_id: str) -> bool:
        """Whether --select/--ignore (and the config's) leave ``rule_id`` on."""
        if self.select and rule_id not in self.select and "ALL" not in self.select:
            return False
        return rule_id not in self.ignore and "ALL" not in self.ignore


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start`` (a file or a folder)."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                if name == "pyproject.toml" and not _has_tool_table(candidate):
                    continue
                return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "replylint" in data.get("tool", {})


def check_options(defaults: Mapping[str, Any], options: Mapping[str, Any], where: str, err: Any) -> None:
    """Options a rule does not declare, or of another type than its default, are
    config errors (an int is accepted where the default is a float)."""
    for opt, value in options.items():
        if opt not in defaults:
            raise err(f"{where}.{opt}", f"unknown option (known: {', '.join(sorted(defaults)) or 'none'})")
        default = defaults[opt]
        same = type(value) is type(default) or (isinstance(default, float) and type(value) is int)
        if not same:
            raise err(f"{where}.{opt}", f"must be {type(default).__name__}, like the default {default!r}")


def read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """The replylint table of a config file and the key prefix errors should use."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    # A .replylint.toml may hold the pyproject layout ([tool.replylint] only);
    # any other [tool.*] table in it is an unknown key, not a reason to ignore
    # the whole file.
    if path.name == "pyproject.toml" or set(data) == {"tool"}:
        tools = data.get("tool", {})
        if path.name != "pyproject.toml" and "replylint" not in tools:
            raise ConfigError(f"{path}: holds only other tools' tables ([tool.{', tool.'.join(tools)}]); "
                              "put replylint's keys at the top or under [tool.replylint]")
        return dict(tools.get("replylint", {})), "tool.replylint."
    return dict(data), ""


def _key_line(path: Path, dotted_key: str) -> int | None:
    """The line of ``dotted_key`` in a config file, for error messages (tomllib
    gives no positions): its own ``key =`` line under the right table header,
    or the header itself. None when it cannot be found."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    parts = dotted_key.split(".")
    for split in range(len(parts) - 1, -1, -1):
        table, key = ".".join(parts[:split]), parts[split]
        in_table = not table
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
            if header:
                name = header.group(1).replace('"', "")
                if name == dotted_key or name.startswith(dotted_key + "."):
                    return number
                in_table = name == table
                continue
            if in_table and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return number
    return None


def check_option_rule_ids(rule_ids: Iterable[str], known_rules: Mapping[str, Any]) -> None:
    """--select/--ignore name rules as the config keys do; a typo would
    otherwise select nothing, or ignore nothing, without a word."""
    for rid in rule_ids:
        if rid != "ALL" and rid not in known_rules:
            raise ConfigError(f"--select/--ignore: unknown rule '{rid}' (see `replylint rules`)")


def load_settings(path: Path | None, known_rules: Mapping[str, Any] | None = None) -> Settings:
    if path is None:
        return Settings()
    table, prefix = read_config_file(path)
    return parse_settings(table, path, prefix, known_rules)


def parse_settings(table: Mapping[str, Any], path: Path, prefix: str = "", known_rules: Mapping[str, Any] | None = None) -> Settings:
    def err(key: str, msg: str) -> ConfigError:
        line = _key_line(path, prefix + key)
        return ConfigError(f"{path}{f':{line}' if line else ''}: key '{prefix}{key}': {msg}")

    def str_list(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(key, "must be a list of strings")
        return tuple(value)

    allowed = {"select", "ignore", "fail-level", "min-score", "model", "max-bytes", "extra-checks", "templates",
               "severity", "rules", "elements", "lexicons", "penalties",
               "audit"}  # [audit] is read by `replylint audit` (replylint/audit/config.py)
    for key in table:
        if key not in allowed:
            raise err(key, f"unknown key (known: {', '.join(sorted(allowed))})")

    def rule_ids(key: str) -> tuple[str, ...]:
        ids = str_list(key)
        if known_rules is not None:
            for rid in ids:
                if rid != "ALL" and rid not in known_rules:
                    raise err(key, f"unknown rule '{rid}' (see `replylint rules`)")
        return ids

    base = path.parent
    fail_level = table.get("fail-level", "warning")
    if fail_level not in LEVELS:
        raise err("fail-level", f"must be one of {', '.join(LEVELS)}, not {fail_level!r}")
    min_score = table.get("min-score")
    if min_score is not None and (type(min_score) is not int or not 0 <= min_score <= 100):
        raise err("min-score", "must be a whole number from 0 to 100")
    model = table.get("model")
    if model is not None and not isinstance(model, str):
        raise err("model", "must be the name of an installed spaCy pipeline")
    max_bytes = table.get("max-bytes", MAX_BYTES_DEFAULT)
    if type(max_bytes) is not int or max_bytes <= 0:
        raise err("max-bytes", "must be a positive whole number of bytes")

    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise err("severity", "must be a table of rule-id = level")
    for rid, level in severity.items():
        if level not in LEVELS:
            raise err(f"severity.{rid}", f"must be one of {', '.join(LEVELS)}, not {level!r}")
        if known_rules is not None and rid not in known_rules:
            raise err(f"severity.{rid}", f"unknown rule '{rid}'")

    def nested(key: str) -> dict[str, dict[str, Any]]:
        value = table.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise err(key, "must be a table of tables ([" + prefix + key + ".NAME])")
        return {k: dict(v) for k, v in value.items()}

    rule_options = nested("rules")
    if known_rules is not None:
        for rid, opts in rule_options.items():
            if rid not in known_rules:
                raise err(f"rules.{rid}", f"unknown rule '{rid}'")
            check_options(known_rules[rid].options, opts, f"rules.{rid}", err)

    lexicons = table.get("lexicons", {})
    if not isinstance(lexicons, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lexicons.values()):
        raise err("lexicons", "must be a table of name = [phrases]")

    penalties = dict(DEFAULT_PENALTIES)
    for level, points in table.get("penalties", {}).items():
        if level not in LEVELS or type(points) is not int or points < 0:
            raise err(f"penalties.{level}", "levels are error, warning, info; points a whole number >= 0")
        penalties[level] = points

    template_folders = tuple(base / p for p in str_list("templates"))
    for folder in template_folders:
        if not folder.is_dir():
            raise err("templates", f"'{folder}' is not a folder (paths are relative to the config file)")

    return Settings(
        select=rule_ids("select"),
        ignore=rule_ids("ignore"),
        severity=dict(severity),
        rule_options=rule_options,
        element_options=nested("elements"),
        lexicons={k: list(v) for k, v in lexicons.items()},
        check_folders=tuple(base / p for p in str_list("extra-checks")),
        template_folders=template_folders,
        fail_level=fail_level,
        min_score=min_score,
        model=model,
        max_bytes=max_bytes,
        penalties=MappingProxyType(penalties),
        path=path,
    )
