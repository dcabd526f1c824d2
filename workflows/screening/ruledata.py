"""Loading the clinical rule data of ``schemas/rules/`` into one validated, immutable RuleSet.

Each YAML file is checked against its own JSON Schema (``<name>.schema.json`` beside it), then
across files (classes, ingredients and codes that refer to each other, names that would mean
two things). Every problem is collected, naming the file and the entry, and raised once as
RuleDataError, so a broken rule file stops start-up with the whole list rather than the first
complaint. The version of the rule set is a hash of the data, so it changes whenever a rule
does and never when only comments or layout change.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .codes import CONTRACT_KINDS, FlagCode, FlagKind
from .lexicon import LexiconConflict, PhraseLexicon
from .normalise import icd10_key
from .problems import DataProblems
from .states import licensed_spellings

__all__ = [
    "RULES_DIR",
    "RULE_FILES",
    "RuleDataError",
    "TRIGGER_FIELDS",
    "RuleSet",
    "FlagRule",
    "Product",
    "NotFlagged",
    "Everyday",
    "Condition",
    "load_rules",
    "default_rules",
    "prepare",
]

RULES_DIR = Path(__file__).resolve().parents[2] / "schemas" / "rules"
RULE_FILES = ("states", "drugs", "not_flagged", "everyday", "conditions", "text", "flags")
# The placeholders a flag reason may use, by the trigger type that fills them in
# (workflows/screening/rules.py has one function per type; a test keeps the two in step).
TRIGGER_FIELDS: dict[str, frozenset[str]] = {
    "residence_outside_licensed_states": frozenset(),
    "age_under": frozenset({"age"}),
    "current_medication": frozenset({"ingredient"}),
    "recently_stopped_medication": frozenset({"ingredient", "earliest_start"}),
    "unidentified_medication": frozenset(),
    "history_flag": frozenset(),
    "history_value": frozenset(),
    "history_date_on_or_after_submission": frozenset(),
}
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DEFAULT: Any = object()


class RuleDataError(DataProblems):
    """The rule data is malformed; ``problems`` names each file, entry and fault."""

    subject = "the clinical rule data"


@dataclass(frozen=True, slots=True)
class Product:
    """What a flagged drug name stands for: its flagged ingredients, and whether it acts locally."""

    ingredients: tuple[str, ...]
    is_local: bool = False
    # The product's other, unflagged ingredients (``with``): shown to staff, never fire.
    others: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotFlagged:
    """A look-alike or common drug that must never fire a flag (not_flagged.yaml)."""

    why: str


@dataclass(frozen=True, slots=True)
class Everyday:
    """A known everyday medication, supplement or product of no flagged family (everyday.yaml)."""

    ingredient: str
    kind: str


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    label: str
    tier: str
    evidence: str


@dataclass(frozen=True, slots=True)
class FlagRule:
    code: FlagCode
    kind: FlagKind
    triggers: tuple[Mapping[str, Any], ...]
    reason: str
    source: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    flags: tuple[FlagRule, ...]
    licensed_states: Mapping[str, str]  # spelling key -> state code
    ingredient_classes: Mapping[str, frozenset[str]]
    systemic_only_classes: frozenset[str]
    class_labels: Mapping[str, str]
    drugs: PhraseLexicon
    conditions: Mapping[str, Condition]
    condition_names: PhraseLexicon
    icd10_prefixes: tuple[tuple[str, str], ...]  # (prefix key, condition key), longest first
    local_form_words: frozenset[str]
    local_form_percent: bool
    # Words an entry that means "no medication" is made of ("none", "n/a", "nada").
    no_medication_words: frozenset[str]
    # Strengths, units, forms, salts and filler: they say how, not what.
    noise_words: frozenset[str]
    # The drug vocabulary that resolves names the rule data does not list (None: rule data
    # only), or a function that loads it: it is loaded at the first medication read, so a
    # process that only checks the rule data (the web's FHIR export) never pays for it.
    vocabulary_source: Any = field(default=None, compare=False, repr=False)
    # What each typed medication name was found to mean under this rule set. Names repeat a
    # great deal across intakes, and a rule set never changes once loaded.
    medication_memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def vocabulary(self) -> Any:
        source = self.vocabulary_source
        if callable(source):
            source = source()
            object.__setattr__(self, "vocabulary_source", source)
        return source


def prepare(rules: RuleSet) -> None:
    """Build every table the engine would otherwise build on its first intakes."""
    rules.drugs.prepare()
    rules.condition_names.prepare()
    if rules.vocabulary is not None:
        rules.vocabulary.prepare()


def _entry_label(file: str, path: list[Any], data: Any) -> str:
    """ "drugs.yaml: ingredients[3] (hydrocodone).brands" for an error at that path."""
    label = file + ":"
    node = data
    for part in path:
        if isinstance(part, int):
            label += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = _entry_name(node)
            if name:
                label += f" ({name})"
        else:
            label += f" {part}" if label.endswith(":") else f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return label


def _entry_name(node: Any) -> str | None:
    if isinstance(node, dict):
        for key in ("code", "key", "ingredient"):
            if isinstance(node.get(key), str):
                return node[key]
        names = node.get("names")
        if isinstance(names, list) and names and isinstance(names[0], str):
            return names[0]
    return None


def _read(directory: Path, stem: str, problems: list[str]) -> Any:
    data_path = directory / f"{stem}.yaml"
    schema_path = directory / f"{stem}.schema.json"
    try:
        data = yaml.load(data_path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except (OSError, yaml.YAMLError) as error:
        problems.append(f"{data_path.name}: cannot be read: {error}")
        return None
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problems.append(f"{schema_path.name}: cannot be read: {error}")
        return None
    # Imported here, when the rules are loaded, rather than with the module.
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    for invalid in errors:
        where = _entry_label(data_path.name, list(invalid.absolute_path), data)
        problems.append(f"{where}: {invalid.message}")
    return None if errors else data


def _content_version(documents: Mapping[str, Any]) -> str:
    canonical = json.dumps(documents, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "rules-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def load_rules(directory: Path = RULES_DIR, vocabulary: Any = _DEFAULT) -> RuleSet:
    """Read, validate and cross-check every rule file; raise RuleDataError listing all faults.

    ``vocabulary`` is the drug vocabulary behind the rule data (the default one unless given;
    None reads with the rule data alone)."""
    problems: list[str] = []
    documents = {stem: _read(directory, stem, problems) for stem in RULE_FILES}
    if problems:
        raise RuleDataError(problems)

    text = documents["text"]
    noise = {
        word
        for key in ("units", "dose_forms", "salts", "filler", "release_suffixes")
        for word in text[key]
    }

    classes = documents["drugs"]["classes"]
    ingredient_classes = _ingredient_classes(documents["drugs"], classes, problems)
    drugs = _drug_lexicon(
        documents, ingredient_classes, noise, set(text["release_suffixes"]), problems
    )
    conditions, condition_names, icd10_prefixes = _condition_lexicon(
        documents["conditions"], problems
    )
    flags = _flag_rules(documents["flags"], classes, problems)
    licensed = licensed_spellings(documents["states"], problems)
    if problems:
        raise RuleDataError(problems)

    return RuleSet(
        version=_content_version(documents),
        flags=flags,
        licensed_states=licensed,
        ingredient_classes=ingredient_classes,
        systemic_only_classes=frozenset(k for k, v in classes.items() if v.get("systemic_only")),
        class_labels={key: value["label"] for key, value in classes.items()},
        drugs=drugs,
        conditions=conditions,
        condition_names=condition_names,
        icd10_prefixes=icd10_prefixes,
        local_form_words=frozenset(text["local_form_words"]),
        local_form_percent=text["local_form_percent"],
        no_medication_words=frozenset(text["no_medication_words"]),
        noise_words=frozenset(noise),
        vocabulary_source=_default_vocabulary if vocabulary is _DEFAULT else vocabulary,
    )


def _default_vocabulary() -> Any:
    from .vocabulary import default_vocabulary

    return default_vocabulary()


@cache
def default_rules() -> RuleSet:
    """The rule set in ``schemas/rules/``, loaded once per process."""
    return load_rules(RULES_DIR)


def _ingredient_classes(
    drugs: Mapping[str, Any], classes: Mapping[str, Any], problems: list[str]
) -> dict[str, frozenset[str]]:
    result: dict[str, frozenset[str]] = {}
    for index, entry in enumerate(drugs["ingredients"]):
        where = f"drugs.yaml: ingredients[{index}] ({entry['ingredient']})"
        if entry["ingredient"] in result:
            problems.append(f"{where}: ingredient listed twice")
        for drug_class in entry["classes"]:
            if drug_class not in classes:
                problems.append(f"{where}.classes: unknown class {drug_class!r}")
        result[entry["ingredient"]] = frozenset(entry["classes"])
    return result


def _drug_lexicon(
    documents: Mapping[str, Any],
    ingredient_classes: Mapping[str, frozenset[str]],
    noise: set[str],
    release_suffixes: set[str],
    problems: list[str],
) -> PhraseLexicon:
    lexicon = PhraseLexicon(never_fuzzy=noise)

    def add(
        where: str, name: str, meaning: Product | NotFlagged | Everyday, negative: bool = False
    ) -> None:
        for variant in _with_optional_suffix(name, release_suffixes):
            try:
                lexicon.add(variant, meaning, negative=negative)
            except LexiconConflict as conflict:
                problems.append(f"{where}: name {name!r} conflicts: {conflict}")

    for index, entry in enumerate(documents["drugs"]["ingredients"]):
        where = f"drugs.yaml: ingredients[{index}] ({entry['ingredient']})"
        meaning = Product((entry["ingredient"],))
        for name in [*entry["names"], *entry.get("names_es", ()), *entry["brands"]]:
            add(where, name, meaning)
    for index, entry in enumerate(documents["drugs"]["products"]):
        where = f"drugs.yaml: products[{index}] ({entry['names'][0]})"
        for ingredient in entry["contains"]:
            if ingredient not in ingredient_classes:
                problems.append(f"{where}.contains: unknown ingredient {ingredient!r}")
        others = tuple(
            part.strip() for part in entry.get("with", "").split(" and ") if part.strip()
        )
        product = Product(tuple(entry["contains"]), entry.get("local", False), others)
        for name in entry["names"]:
            add(where, name, product)
    for index, entry in enumerate(documents["not_flagged"]["entries"]):
        where = f"not_flagged.yaml: entries[{index}] ({entry['names'][0]})"
        look_alike = NotFlagged(entry["why"])
        for name in [*entry["names"], *entry.get("names_es", ())]:
            add(where, name, look_alike, negative=True)
    # Everyday names are known and fire nothing; like look-alikes they also guard the flagged
    # names from a fuzzy match that could mean either.
    for index, entry in enumerate(documents["everyday"]["entries"]):
        where = f"everyday.yaml: entries[{index}] ({entry['ingredient']})"
        everyday = Everyday(entry["ingredient"], entry["kind"])
        for name in [entry["ingredient"], *entry["names"], *entry.get("names_es", ())]:
            add(where, name, everyday, negative=True)
    return lexicon


def _with_optional_suffix(name: str, release_suffixes: set[str]) -> list[str]:
    """ "Xtampza ER" is also "Xtampza": patients often leave the release suffix out."""
    words = name.split()
    if len(words) > 1 and words[-1].lower() in release_suffixes:
        return [name, " ".join(words[:-1])]
    return [name]


def _condition_lexicon(
    document: Mapping[str, Any], problems: list[str]
) -> tuple[dict[str, Condition], PhraseLexicon, tuple[tuple[str, str], ...]]:
    lexicon = PhraseLexicon(never_fuzzy=document["generic_words"])
    conditions: dict[str, Condition] = {}
    prefixes: dict[str, str] = {}
    for index, entry in enumerate(document["conditions"]):
        key = entry["key"]
        where = f"conditions.yaml: conditions[{index}] ({key})"
        if key in conditions:
            problems.append(f"{where}: key listed twice")
        conditions[key] = Condition(key, entry["label"], entry["tier"], entry["evidence"])
        names = [(name, True) for name in [*entry["names"], *entry.get("names_es", ())]]
        names += [(short, False) for short in entry["short_forms"]]
        for name, fuzzy in names:
            try:
                lexicon.add(name, key, fuzzy=fuzzy)
            except LexiconConflict as conflict:
                problems.append(f"{where}: name {name!r} conflicts: {conflict}")
        for code in entry["icd10"]:
            prefix = icd10_key(code)
            if prefixes.get(prefix, key) != key:
                problems.append(f"{where}.icd10: {code} already belongs to {prefixes[prefix]}")
            prefixes[prefix] = key
    ordered = tuple(sorted(prefixes.items(), key=lambda item: (-len(item[0]), item[0])))
    return conditions, lexicon, ordered


def _flag_rules(
    document: Mapping[str, Any], classes: Mapping[str, Any], problems: list[str]
) -> tuple[FlagRule, ...]:
    rules: list[FlagRule] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["flags"]):
        where = f"flags.yaml: flags[{index}] ({entry['code']})"
        try:
            code = FlagCode(entry["code"])
        except ValueError:
            problems.append(f"{where}: {entry['code']} is not a code of the screening contract")
            continue
        if code.value in seen:
            problems.append(f"{where}: code listed twice")
        seen.add(code.value)
        kind = FlagKind(entry["kind"])
        if CONTRACT_KINDS[code] is not kind:
            problems.append(
                f"{where}: kind {kind.value} but the contract makes it {CONTRACT_KINDS[code].value}"
            )
        for t_index, trigger in enumerate(entry["triggers"]):
            for drug_class in trigger.get("classes", ()):
                if drug_class not in classes:
                    problems.append(f"{where}.triggers[{t_index}]: unknown class {drug_class!r}")
        # Every trigger of the flag must be able to fill every placeholder of its reason.
        fields = {name for _, name, _, _ in string.Formatter().parse(entry["reason"]) if name}
        for trigger in entry["triggers"]:
            unfilled = fields - TRIGGER_FIELDS[trigger["type"]]
            if unfilled:
                problems.append(
                    f"{where}.reason: {trigger['type']} cannot fill {', '.join(sorted(unfilled))}"
                )
        rules.append(
            FlagRule(code, kind, tuple(entry["triggers"]), entry["reason"], entry["source"])
        )
    missing = [code.value for code in FlagCode if code.value not in seen]
    if missing:
        problems.append(f"flags.yaml: no rule for contract code(s) {', '.join(missing)}")
    return tuple(rules)
