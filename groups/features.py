"""Meeting-feature tokens, the shared language of the theme taxonomy and meeting matching.

"attendance:online", "type:BE" (a Meeting Guide type code), "program:SMART" (a program key)
and "program:secular" (any program that is not 12-step).
"""

import re

from django.core.exceptions import ValidationError

from groups.models import AttendanceOption, Program
from groups.types import type_name

SECULAR = "secular"
FEATURE_KINDS = ("attendance", "type", "program")


def validate_feature_token(token: str) -> None:
    """Refuse a token matching cannot read: a typo here would quietly match nothing."""
    kind, _, value = token.partition(":")
    if kind not in FEATURE_KINDS or not value:
        raise ValidationError(
            "Write a feature as attendance:…, type:… (a meeting type code) or program:…."
        )
    if kind == "attendance" and value not in AttendanceOption.values:
        raise ValidationError(f"Attendance is one of {', '.join(AttendanceOption.values)}.")
    if kind == "type" and not re.fullmatch(r"[A-Za-z0-9-]{1,32}", value):
        raise ValidationError("A type is a meeting type code such as BE, O or W.")
    if kind == "program" and value != SECULAR and not Program.objects.filter(key=value).exists():
        raise ValidationError(f"No program has the key {value!r}; or use program:{SECULAR}.")


def feature_labels(tokens: list[str]) -> list[str]:
    """Human words for feature tokens, in the order given; unknown tokens are left out."""
    programs = dict(Program.objects.values_list("key", "name"))
    labels = []
    for token in tokens:
        kind, _, value = token.partition(":")
        if kind == "attendance" and value in AttendanceOption.values:
            labels.append(f"{AttendanceOption(value).label} meetings")
        elif kind == "type" and value:
            labels.append(f"{type_name(value)} meetings")
        elif kind == "program" and value == SECULAR:
            labels.append("Secular (non-12-step) programs")
        elif kind == "program" and value in programs:
            labels.append(programs[value])
    return labels


# How a feature reads in one line on why a meeting may fit ("online and open to newcomers").
FEATURE_PHRASES = {
    "attendance:online": "online",
    "attendance:hybrid": "online or in the room",
    "attendance:in_person": "in person",
    "type:BE": "open to newcomers",
    "type:O": "open to anyone",
    "type:C": "closed to all but members",
    "type:SP": "a speaker meeting, so you can just listen",
    "type:D": "a discussion meeting",
    "type:MED": "built around meditation",
    "type:A": "secular",
    "type:W": "for women",
    "type:M": "for men",
    "type:LGBTQ": "LGBTQ-affirming",
    "type:Y": "for young people",
    "type:SEN": "for older adults",
    "type:P": "for professionals",
    "type:DD": "for people with a dual diagnosis",
    "type:BA": "with babysitting",
    "type:CF": "child-friendly",
    "type:X": "wheelchair accessible",
    "type:POC": "for people of color",
    "type:ST": "a step study",
    "program:secular": "secular",
    "program:SMART": "SMART Recovery (secular, skills-based)",
    "program:LIFERING": "LifeRing (secular)",
    "program:RD": "Recovery Dharma (meditation-based)",
    "program:WFS": "Women for Sobriety",
    "program:AA": "Alcoholics Anonymous",
    "program:NA": "Narcotics Anonymous",
    "program:CA": "Cocaine Anonymous",
    "program:CR": "Celebrate Recovery (faith-based)",
    "program:ALANON": "Al-Anon",
}


def feature_phrase(token: str) -> str:
    kind, _, value = token.partition(":")
    if token in FEATURE_PHRASES:
        return FEATURE_PHRASES[token]
    if kind == "type" and value:
        return type_name(value).lower()
    return ""
