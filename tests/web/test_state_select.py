"""The state list is rendered once per language and chosen value, and reads exactly as WTForms
would render it on every view."""

from __future__ import annotations

from typing import Any

import pytest
from wtforms.widgets import Select

from intake.patient.forms import AboutForm


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("chosen", [None, "TX", "Other", "not a state"])
def test_the_state_list_reads_as_wtforms_renders_it(app: Any, language: str, chosen: str) -> None:
    data = {"state_of_residence": chosen} if chosen else {}
    with app.test_request_context(
        "/intake/about", method="POST", data=data, headers={"Accept-Language": language}
    ):
        field = AboutForm(meta={"csrf": False}).state_of_residence
        attributes = {"class": "input select", "aria-describedby": "state-hint"}
        first, again = field(**attributes), field(**attributes)
        assert first == again == Select()(field, **attributes)
        assert ('selected value="TX"' in first) == (chosen == "TX")
        assert ("En otro lugar" in first) == (language == "es")


def test_a_value_that_is_not_a_choice_is_rendered_but_never_kept(app: Any) -> None:
    with app.test_request_context(
        "/intake/about", method="POST", data={"state_of_residence": "x" * 40}
    ):
        field = AboutForm(meta={"csrf": False}).state_of_residence
        field()
        assert all("x" * 40 not in key for key in field.widget._rendered)
