from django import template

from clients.models import LadderStep
from recovery.text import end_sentence

register = template.Library()


@register.filter
def ladder_label(step: int | None) -> str:
    """The ladder step's name, e.g. 3 → "Attended an online meeting"."""
    if step in LadderStep.values:
        return LadderStep(step).label
    return ""


@register.filter
def sentence_end(text: str) -> str:
    """The text with a closing period, unless it already ends with one ("Theo B.")."""
    return end_sentence(str(text))
