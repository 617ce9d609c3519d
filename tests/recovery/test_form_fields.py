"""LinesField: a list edited as one item per line, each item cleaned and named in errors."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from recovery.form_fields import LinesField


def test_lines_become_a_list_without_blanks_spaces_or_repeats():
    field = LinesField()
    assert field.clean("  First question?\r\n\r\nSecond, with a comma\nFirst question?\n") == [
        "First question?",
        "Second, with a comma",
    ]


def test_commas_separate_items_only_when_asked():
    assert LinesField(commas=True).clean("O, BE\nW") == ["O", "BE", "W"]
    assert LinesField().clean("O, BE") == ["O, BE"]


def test_a_list_is_shown_as_lines():
    field = LinesField()
    assert field.prepare_value(["One", "Two"]) == "One\nTwo"
    assert field.prepare_value("As typed, after an error") == "As typed, after an error"
    assert "One\nTwo</textarea>" in str(
        type("F", (forms.Form,), {"items": LinesField()})(initial={"items": ["One", "Two"]})
    )


def test_each_item_is_cleaned_and_a_bad_one_is_named():
    field = LinesField(item_field=forms.CharField(max_length=5))
    with pytest.raises(ValidationError) as refused:
        field.clean("fine\nmuch too long")
    assert refused.value.messages == [
        "“much too long”: Ensure this value has at most 5 characters (it has 13)."
    ]


def test_required_and_at_most():
    with pytest.raises(ValidationError, match="required"):
        LinesField().clean("\n  \n")
    assert LinesField(required=False).clean("") == []
    with pytest.raises(ValidationError, match="at most 2"):
        LinesField(max_items=2).clean("a\nb\nc")


def test_unchanged_lines_are_not_a_change():
    field = LinesField()
    assert not field.has_changed(["One", "Two"], "One\r\nTwo\r\n")
    assert field.has_changed(["One", "Two"], "One")
