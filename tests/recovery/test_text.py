"""Sentences that end with a name someone typed: one closing period, never two."""

import pytest
from django.template import Context, Template

from recovery.text import end_sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Planned with Jordan", "Planned with Jordan."),
        ("Planned with Theo B.", "Planned with Theo B."),
        ("Planned with Theo B. ", "Planned with Theo B."),
        ("Hooray!", "Hooray!"),
        ("Really?", "Really?"),
    ],
)
def test_end_sentence_adds_a_period_only_where_none_closes_it(text, sentence):
    assert end_sentence(text) == sentence


def test_the_template_filter_closes_the_sentence_and_still_escapes():
    template = Template("{% load clients_tags %}For {{ name|sentence_end }}")
    assert template.render(Context({"name": "Theo B."})) == "For Theo B."
    assert template.render(Context({"name": "<b>Jo</b>"})) == "For &lt;b&gt;Jo&lt;/b&gt;."
