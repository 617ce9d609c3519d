"""Meeting-feature tokens, the shared language of the theme taxonomy and meeting matching.

"attendance:online", "type:BE" (a Meeting Guide type code), "program:SMART" (a program key)
and "program:secular" (any program that is not 12-step).
"""

from groups.models import AttendanceOption, Program
from groups.types import type_name

SECULAR = "secular"


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
