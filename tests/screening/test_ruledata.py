"""The rule files load, are validated against their own schemas, and version themselves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workflows.screening import FlagCode, default_rules, load_rules
from workflows.screening.codes import CONTRACT_KINDS
from workflows.screening.findings import read_medication
from workflows.screening.ruledata import RULE_FILES, RULES_DIR, TRIGGER_FIELDS, RuleDataError
from workflows.screening.rules import TRIGGERS


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_every_rule_file_has_a_schema_and_loads() -> None:
    for stem in RULE_FILES:
        assert (RULES_DIR / f"{stem}.yaml").is_file()
        assert (RULES_DIR / f"{stem}.schema.json").is_file()
    assert default_rules().version.startswith("rules-")


def test_every_contract_code_has_exactly_one_rule_of_its_kind() -> None:
    rules = default_rules().flags
    assert [rule.code for rule in rules] == list(FlagCode)
    assert all(rule.kind is CONTRACT_KINDS[rule.code] for rule in rules)


def test_every_trigger_type_has_a_function() -> None:
    assert set(TRIGGERS) == set(TRIGGER_FIELDS)


def test_the_version_is_a_hash_of_the_data(rules_copy: Path) -> None:
    assert load_rules(rules_copy).version == default_rules().version
    edit(rules_copy / "drugs.yaml", "# Drug lexicon", "# Only a comment changed\n# Drug lexicon")
    assert load_rules(rules_copy).version == default_rules().version
    edit(rules_copy / "drugs.yaml", "[Dilaudid, Exalgo,", "[Dilaudid, Exalgo, Hydrostat,")
    assert load_rules(rules_copy).version != default_rules().version


def test_adding_a_brand_is_a_data_change(rules_copy: Path) -> None:
    assert read_medication("Hydrostat 2 mg", default_rules()).flagged == ()
    edit(rules_copy / "drugs.yaml", "[Dilaudid, Exalgo,", "[Dilaudid, Exalgo, Hydrostat,")
    [found] = read_medication("Hydrostat 2 mg", load_rules(rules_copy)).flagged
    assert found.ingredient == "hydromorphone" and "opioid_agonist" in found.classes


def test_a_malformed_entry_names_the_file_and_the_entry(rules_copy: Path) -> None:
    edit(
        rules_copy / "drugs.yaml",
        "classes: [opioid_agonist]\n    names: [tramadol]",
        "classes: opioid\n    names: [tramadol]",
    )
    edit(rules_copy / "conditions.yaml", "tier: C", "tier: D")
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    message = str(broken.value)
    assert "drugs.yaml: ingredients[10] (tramadol).classes" in message
    assert "conditions.yaml: conditions[" in message and "'D' is not one of" in message


def test_a_code_outside_the_contract_is_refused(rules_copy: Path) -> None:
    edit(rules_copy / "flags.yaml", "code: KETO_GALLBLADDER", "code: KETO_GALLSTONES")
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    assert "KETO_GALLSTONES is not a code of the screening contract" in str(broken.value)
    assert "no rule for contract code(s) KETO_GALLBLADDER" in str(broken.value)


def test_a_name_that_means_two_things_is_refused(rules_copy: Path) -> None:
    edit(rules_copy / "not_flagged.yaml", "[loperamide, Imodium]", "[loperamide, Imodium, Norco]")
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    assert "not_flagged.yaml: entries[0] (loperamide): name 'Norco' conflicts" in str(broken.value)


def test_an_unknown_class_or_ingredient_is_refused(rules_copy: Path) -> None:
    edit(
        rules_copy / "drugs.yaml",
        "contains: [oxycodone]\n    with: aspirin",
        "contains: [oxycodon]\n    with: aspirin",
    )
    edit(rules_copy / "flags.yaml", "classes: [thyroid_hormone]", "classes: [thyroid]")
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    assert "products[1] (Percodan).contains: unknown ingredient 'oxycodon'" in str(broken.value)
    assert "flags[7] (THYROID_REPLACEMENT).triggers[0]: unknown class 'thyroid'" in str(
        broken.value
    )


def test_a_reason_placeholder_its_trigger_cannot_fill_is_refused(rules_copy: Path) -> None:
    edit(
        rules_copy / "flags.yaml",
        "History of pancreatitis:",
        "History of pancreatitis ({ingredient}):",
    )
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    assert "(KETO_PANCREATITIS).reason: history_flag cannot fill ingredient" in str(broken.value)


def test_yaml_that_does_not_parse_is_named(rules_copy: Path) -> None:
    (rules_copy / "states.yaml").write_text("licensed_states: [unclosed\n")
    with pytest.raises(RuleDataError) as broken:
        load_rules(rules_copy)
    assert "states.yaml: cannot be read" in str(broken.value)


def test_the_web_reads_the_same_licensed_states_as_the_rule_set() -> None:
    from workflows.screening.states import licensed_states

    assert licensed_states() == default_rules().licensed_states
    assert set(licensed_states().values()) == {"IA", "IL", "MO", "FL", "GA", "TX"}


def test_the_vocabulary_is_loaded_only_for_words_the_rule_data_does_not_explain(
    rules_copy: Path,
) -> None:
    rules = load_rules(rules_copy)
    assert callable(rules.vocabulary_source)  # the web's FHIR export checks rules only
    read_medication("Norco 10/325 mg tablet", rules)  # the rule data explains every word
    assert callable(rules.vocabulary_source)
    read_medication("Tramagetic 50 mg", rules)
    assert rules.vocabulary_source is rules.vocabulary and rules.vocabulary is not None
