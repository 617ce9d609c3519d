"""The data migrations seed the resistance-theme taxonomy and the programs."""

import json
import re
from pathlib import Path

import pytest

from clients.models import ResistanceTheme
from groups.models import Program

TYPES_FILE = Path(__file__).resolve().parents[3] / "shared" / "feeds" / "meeting-guide-types.json"
REQUIRED_SLUGS = {
    "fear-of-judgment",
    "earlier-group-trauma",
    "social-anxiety",
    "denial-do-it-alone",
    "twelve-step-spirituality",
    "practical-barriers",
    "privacy-exposure",
    "identity-mismatch",
    "abstinence-goal-disagreement",
    "co-occurring-mental-health",
}
TOKEN = re.compile(r"^(attendance:(online|in_person|hybrid)|type:[A-Z0-9-]+|program:[A-Za-z]+)$")


@pytest.fixture
def curated(db):
    return list(ResistanceTheme.objects.filter(practice=None))


def test_the_taxonomy_holds_every_theme_the_design_names(curated):
    assert {theme.slug for theme in curated} >= REQUIRED_SLUGS


def test_each_theme_carries_guidance_for_the_therapist(curated):
    for theme in curated:
        assert len(theme.description) > 40, theme.slug
        assert 2 <= len(theme.questions) <= 4, theme.slug
        assert 2 <= len(theme.reframes) <= 4, theme.slug
        assert theme.meeting_features, theme.slug
        assert all(TOKEN.match(token) for token in theme.meeting_features), theme.slug


def test_feature_tokens_name_real_programs(curated):
    keys = set(Program.objects.values_list("key", flat=True)) | {"secular"}
    for theme in curated:
        for token in theme.meeting_features:
            if token.startswith("program:"):
                assert token.removeprefix("program:") in keys, token


@pytest.mark.skipif(not TYPES_FILE.exists(), reason="shared/feeds is not beside this checkout")
def test_feature_tokens_use_meeting_guide_type_codes(curated):
    codes = set(json.loads(TYPES_FILE.read_text()))
    for theme in curated:
        for token in theme.meeting_features:
            if token.startswith("type:"):
                assert token.removeprefix("type:") in codes, token


def test_a_spirituality_objection_points_to_secular_programs(curated):
    theme = next(t for t in curated if t.slug == "twelve-step-spirituality")
    assert "program:SMART" in theme.meeting_features


def test_programs_are_seeded_with_their_twelve_step_flag(db):
    programs = {p.key: p.is_twelve_step for p in Program.objects.all()}
    assert programs["AA"] is True
    assert programs["NA"] is True
    assert programs["SMART"] is False
    assert programs["RD"] is False
    assert {"CA", "LIFERING", "WFS", "CR", "ALANON", "OTHER"} <= set(programs)
