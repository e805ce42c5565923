"""Loading the protocol's checks from check folders.

A check folder (the bundled ``checks/`` or an organisation's own pack) holds:

- ``lexicons/*.toml``   named phrase lists, referenced from patterns as ``{name}``;
- ``signals/*.toml``    patterns shared by several elements (questions, conditions);
- ``elements/<key>/``   ``element.toml`` (doc, patterns, dependencies) and an
                         optional ``detect.py`` with ``detect(ctx) -> Detection``;
- ``kind/``             ``kind.toml`` and ``detect.py`` with ``classify(ctx) -> str``,
                         or ``judge(ctx) -> (kind, {element: value})`` when a
                         trained model may overrule the element detectors;
- ``rules/<rule-id>/``  ``rule.toml`` (id, severity, message, options, fix) and
                         ``rule.py`` with ``check(ctx) -> iterable of Hit``.

Every folder also has ``cases.toml``. Nothing registers itself on import: ``load``
reads the folders and returns an immutable ``Registry``. Errors name file and key.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from .regexcache import RegexCompiler

SEVERITIES = ("error", "warning", "info")
RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_LEXICON_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class CheckLoadError(Exception):
    """A check folder is malformed; the message names the file and key."""


@dataclass(frozen=True)
class PatternSpec:
    id: str
    label: str
    kind: str  # regex | phrases | tokens
    data: Any
    source: str  # file that defined it
    folded: bool = False  # a lower-cased regex, to run on lower-cased text


@dataclass(frozen=True)
class ElementSpec:
    key: str
    summary: str
    doc: str
    requires: tuple[str, ...]
    nullable: bool
    detect: Callable[..., Any]
    folder: Path
    order: int = 1000


FIX_ACTIONS = ("replace", "append-to-sentence", "insert-after", "insert-section", "delete", "gather")
FIX_ANCHORS = ("after-greeting", "before-signoff", "after-span")


@dataclass(frozen=True)
class FixSpec:
    template: str
    safety: str  # safe | unsafe
    title: str
    action: str = "replace"
    anchor: str = "before-signoff"


@dataclass(frozen=True)
class RuleSpec:
    id: str
    severity: str
    summary: str
    message: str
    doc: str
    kinds: tuple[str, ...]  # kinds the rule applies to; empty = all
    options: Mapping[str, Any]
    fix: FixSpec | None
    aliases: tuple[str, ...]
    check: Callable[..., Any]
    folder: Path
    # The reply element whose breach this rule reports ("missing-eta" -> "eta"),
    # for the audit's compliance per element; None for rules about no element.
    element: str | None = None
    # The element a reply must show for the rule to look at it ("missing-eta"
    # only where there are next steps), for the same figure's denominator.
    applies_when: str | None = None


@dataclass(frozen=True)
class Registry:
    lexicons: Mapping[str, tuple[str, ...]]
    patterns: tuple[PatternSpec, ...]
    elements: tuple[ElementSpec, ...]  # in dependency order
    rules: Mapping[str, RuleSpec]
    aliases: Mapping[str, str]
    # ctx -> (kind, {element: value} where a trained model overrules the detectors)
    judge_reply: Callable[..., tuple[str, Mapping[str, bool]]]
    kind_doc: str
    mail: Mapping[str, Any]
    folders: tuple[Path, ...] = field(default=())

    def rule(self, rule_id: str) -> RuleSpec | None:
        return self.rules.get(self.aliases.get(rule_id, rule_id))

    def element_keys(self) -> tuple[str, ...]:
        """Element keys in output order (the protocol's table order)."""
        return tuple(e.key for e in sorted(self.elements, key=lambda e: (e.order, e.key)))


def bundled_dir(name: str) -> Path:
    """Where a bundled data folder is: inside the wheel, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise CheckLoadError(f"the bundled '{name}' folder is missing from the installation at {here}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CheckLoadError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise CheckLoadError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CheckLoadError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - report any error in user check code
        raise CheckLoadError(f"{path}: failed to import: {type(exc).__name__}: {exc}") from None
    return module


def load_hook(path: Path, function: str, module_name: str) -> Callable[..., Any]:
    """Import a check's Python file and return the hook function it must define."""
    if not path.is_file():
        raise CheckLoadError(f"{path.parent}: needs {path.name} with {function}(ctx)")
    hook = getattr(_load_module(path, f"{module_name}_{abs(hash(str(path)))}"), function, None)
    if not callable(hook):
        raise CheckLoadError(f"{path}: must define {function}(ctx)")
    return hook


def _judge_hook(path: Path) -> Callable[..., tuple[str, Mapping[str, bool]]]:
    """kind/detect.py's ``judge(ctx) -> (kind, revised elements)``, or its
    ``classify(ctx) -> kind`` when it revises no element."""
    if not path.is_file():
        raise CheckLoadError(f"{path.parent}: needs {path.name} with judge(ctx) or classify(ctx)")
    module = _load_module(path, f"replylint_checks_kind_{abs(hash(str(path)))}")
    judge, classify = getattr(module, "judge", None), getattr(module, "classify", None)
    if callable(judge):
        return judge
    if callable(classify):
        return lambda ctx: (classify(ctx), {})
    raise CheckLoadError(f"{path}: must define judge(ctx) or classify(ctx)")


def _require(table: Mapping[str, Any], key: str, typ: type | tuple[type, ...], path: Path, where: str = "") -> Any:
    if key not in table:
        raise CheckLoadError(f"{path}: missing key '{where}{key}'")
    value = table[key]
    if not isinstance(value, typ):
        want = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise CheckLoadError(f"{path}: key '{where}{key}' must be {want}, not {type(value).__name__}")
    return value


def _optional_str(table: Mapping[str, Any], key: str, path: Path) -> str | None:
    return _require(table, key, str, path) if key in table else None


def _string_list(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckLoadError(f"{path}: key '{key}' must be a list of strings")
    return tuple(value)


def load(folders: list[Path] | tuple[Path, ...] | None = None, extra_lexicons: Mapping[str, list[str]] | None = None) -> Registry:
    """Load the bundled checks, then each extra folder in order (later folders add
    elements and rules, and may replace a bundled rule by using its id)."""
    roots = [bundled_dir("checks"), *[Path(f) for f in (folders or [])]]
    lexicons: dict[str, list[str]] = {}
    mail: dict[str, Any] = {}
    raw_patterns: list[tuple[dict[str, Any], Path, str]] = []
    elements: dict[str, ElementSpec] = {}
    rules: dict[str, RuleSpec] = {}
    aliases: dict[str, str] = {}
    judge_reply = None
    kind_doc = ""

    for root in roots:
        if not root.is_dir():
            raise CheckLoadError(f"{root}: check folder does not exist")
        for lex_path in sorted((root / "lexicons").glob("*.toml")):
            table = _read_toml(lex_path)
            for key, value in table.items():
                if key == "mail" and isinstance(value, dict):
                    mail.update(value)
                    continue
                lexicons.setdefault(key, []).extend(_string_list(value, lex_path, key))
        for sig_path in sorted((root / "signals").glob("*.toml")):
            table = _read_toml(sig_path)
            raw_patterns.extend((p, sig_path, sig_path.stem) for p in table.get("pattern", []))
        for folder in sorted(p for p in (root / "elements").glob("*") if p.is_dir()):
            spec, pats = _load_element(folder)
            elements[spec.key] = spec
            raw_patterns.extend(pats)
        kind_folder = root / "kind"
        if (kind_folder / "kind.toml").is_file():
            table = _read_toml(kind_folder / "kind.toml")
            kind_doc = _require(table, "doc", str, kind_folder / "kind.toml")
            judge_reply = _judge_hook(kind_folder / "detect.py")
            raw_patterns.extend((p, kind_folder / "kind.toml", "kind") for p in table.get("pattern", []))
        for folder in sorted(p for p in (root / "rules").glob("*") if p.is_dir()):
            spec = _load_rule(folder)
            rules[spec.id] = spec
            for alias in spec.aliases:
                aliases[alias] = spec.id

    for key, extra in (extra_lexicons or {}).items():
        lexicons.setdefault(key, []).extend(extra)

    if judge_reply is None:
        raise CheckLoadError("no check folder defines kind/ (kind.toml and detect.py)")
    frozen_lex = {k: tuple(dict.fromkeys(v)) for k, v in lexicons.items()}
    compiler = RegexCompiler()
    patterns = tuple(_build_pattern(p, path, owner, frozen_lex, compiler) for p, path, owner in raw_patterns)
    compiler.save()
    seen: dict[str, str] = {}
    for p in patterns:
        if p.id in seen:
            raise CheckLoadError(f"{p.source}: pattern id '{p.id}' is already used in {seen[p.id]}")
        seen[p.id] = p.source
    for spec in rules.values():
        for key, value in (("element", spec.element), ("applies-when", spec.applies_when)):
            if value is not None and value not in elements:
                raise CheckLoadError(f"{spec.folder / 'rule.toml'}: key {key!r} names {value!r}, which is no "
                                     f"element (one of {', '.join(sorted(elements))})")
    ordered = _dependency_order(elements)
    return Registry(
        lexicons=MappingProxyType(frozen_lex),
        patterns=patterns,
        elements=tuple(ordered),
        rules=MappingProxyType(dict(sorted(rules.items()))),
        aliases=MappingProxyType(aliases),
        judge_reply=judge_reply,
        kind_doc=kind_doc,
        mail=MappingProxyType(mail),
        folders=tuple(roots),
    )


def _load_element(folder: Path) -> tuple[ElementSpec, list[tuple[dict[str, Any], Path, str]]]:
    path = folder / "element.toml"
    if not path.is_file():
        raise CheckLoadError(f"{folder}: an element folder needs element.toml")
    table = _read_toml(path)
    key = _require(table, "key", str, path)
    if key != folder.name:
        raise CheckLoadError(f"{path}: key '{key}' must match its folder name '{folder.name}'")
    detect = load_hook(folder / "detect.py", "detect", f"replylint_checks_element_{key}")
    spec = ElementSpec(
        key=key,
        summary=_require(table, "summary", str, path),
        doc=_require(table, "doc", str, path),
        requires=_string_list(table.get("requires", []), path, "requires"),
        nullable=bool(table.get("nullable", False)),
        detect=detect,
        folder=folder,
        order=int(table.get("order", 1000)),
    )
    pats = table.get("pattern", [])
    if not isinstance(pats, list):
        raise CheckLoadError(f"{path}: 'pattern' must be an array of tables ([[pattern]])")
    return spec, [(p, path, key) for p in pats]


def _build_pattern(table: dict[str, Any], path: Path, owner: str, lexicons: Mapping[str, tuple[str, ...]],
                   compiler: RegexCompiler) -> PatternSpec:
    if not isinstance(table, dict):
        raise CheckLoadError(f"{path}: each [[pattern]] must be a table")
    pid = _require(table, "id", str, path, "pattern.")
    where = f"pattern '{pid}'."
    label = _require(table, "label", str, path, where)
    kinds = [k for k in ("regex", "phrases", "tokens") if k in table]
    if len(kinds) != 1:
        raise CheckLoadError(f"{path}: {where[:-1]} needs exactly one of regex, phrases, tokens")
    kind = kinds[0]
    data = table[kind]
    if kind == "regex":
        if not isinstance(data, str):
            raise CheckLoadError(f"{path}: key '{where}regex' must be a string")
        expanded = _expand_lexicons(data, lexicons, path, where)
        ignore_case = bool(table.get("ignore_case", True))
        try:
            # Case-insensitive patterns are lower-cased and run on lower-cased
            # text: the same matches, about three times faster than re.I.
            data = compiler.compile(lower_pattern(expanded) if ignore_case else expanded)
        except re.error as exc:
            raise CheckLoadError(f"{path}: key '{where}regex' is not a valid regular expression: {exc}") from None
    elif kind == "phrases":
        if isinstance(data, str):
            ref = _LEXICON_REF.fullmatch(data)
            if not ref or ref.group(1) not in lexicons:
                raise CheckLoadError(f"{path}: key '{where}phrases' names an unknown lexicon {data!r}")
            data = lexicons[ref.group(1)]
        data = _string_list(list(data), path, where + "phrases")
    else:
        if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
            raise CheckLoadError(f"{path}: key '{where}tokens' must be a list of token tables (spaCy Matcher syntax)")
    return PatternSpec(id=f"{owner}.{pid}", label=label, kind=kind, data=data, source=str(path),
                       folded=kind == "regex" and bool(table.get("ignore_case", True)))


def _expand_lexicons(regex: str, lexicons: Mapping[str, tuple[str, ...]], path: Path, where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicons:
            raise CheckLoadError(f"{path}: key '{where}regex' names an unknown lexicon {{{name}}}")
        words = sorted(lexicons[name], key=len, reverse=True)
        return "(?:" + "|".join(_phrase_regex(w) for w in words) + ")"

    return _LEXICON_REF.sub(repl, regex)


_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+|\\", re.DOTALL)


def lower_pattern(pattern: str) -> str:
    """Lower-case the letters of a regex, leaving escapes (\\S, \\W, \\b...) alone."""
    return _ESCAPE_OR_TEXT.sub(lambda m: m.group(0) if m.group(0).startswith("\\") else m.group(0).lower(), pattern)


def fold_case(text: str) -> str:
    """Lower-case text without changing its length (offsets must stay valid)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _phrase_regex(phrase: str) -> str:
    # Spaces in a lexicon phrase match any run of white space (wrapped lines).
    return r"\s+".join(re.escape(part) for part in phrase.split())


def _load_rule(folder: Path) -> RuleSpec:
    path = folder / "rule.toml"
    if not path.is_file():
        raise CheckLoadError(f"{folder}: a rule folder needs rule.toml")
    table = _read_toml(path)
    rule_id = _require(table, "id", str, path)
    if rule_id != folder.name or not RULE_ID.match(rule_id):
        raise CheckLoadError(f"{path}: id '{rule_id}' must be kebab-case and match its folder name '{folder.name}'")
    severity = _require(table, "severity", str, path)
    if severity not in SEVERITIES:
        raise CheckLoadError(f"{path}: key 'severity' must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    fix = None
    if "fix" in table:
        fix_table = _require(table, "fix", dict, path)
        safety = fix_table.get("safety", "unsafe")
        if safety not in ("safe", "unsafe"):
            raise CheckLoadError(f"{path}: key 'fix.safety' must be 'safe' or 'unsafe'")
        action = fix_table.get("action", "replace")
        if action not in FIX_ACTIONS:
            raise CheckLoadError(f"{path}: key 'fix.action' must be one of {', '.join(FIX_ACTIONS)}, not {action!r}")
        anchor = fix_table.get("anchor", "before-signoff")
        if anchor not in FIX_ANCHORS:
            raise CheckLoadError(f"{path}: key 'fix.anchor' must be one of {', '.join(FIX_ANCHORS)}, not {anchor!r}")
        fix = FixSpec(
            template=_require(fix_table, "template", str, path, "fix."),
            safety=safety,
            title=_require(fix_table, "title", str, path, "fix."),
            action=action,
            anchor=anchor,
        )
    check = load_hook(folder / "rule.py", "check", f"replylint_checks_rule_{rule_id.replace('-', '_')}")
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise CheckLoadError(f"{path}: key 'options' must be a table")
    return RuleSpec(
        id=rule_id,
        severity=severity,
        summary=_require(table, "summary", str, path),
        message=_require(table, "message", str, path),
        doc=_require(table, "doc", str, path),
        kinds=_string_list(table.get("kinds", []), path, "kinds"),
        options=MappingProxyType(options),
        fix=fix,
        aliases=_string_list(table.get("aliases", []), path, "aliases"),
        check=check,
        folder=folder,
        element=_optional_str(table, "element", path),
        applies_when=_optional_str(table, "applies-when", path),
    )


def _dependency_order(elements: dict[str, ElementSpec]) -> list[ElementSpec]:
    ordered: list[ElementSpec] = []
    state: dict[str, int] = {}

    def visit(key: str, chain: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise CheckLoadError(f"element dependencies form a cycle: {' -> '.join(chain + (key,))}")
        spec = elements[key]
        state[key] = 1
        for dep in spec.requires:
            if dep not in elements:
                raise CheckLoadError(f"{spec.folder / 'element.toml'}: key 'requires' names unknown element '{dep}'")
            visit(dep, chain + (key,))
        state[key] = 2
        ordered.append(spec)

    for key in elements:
        visit(key, ())
    return ordered

