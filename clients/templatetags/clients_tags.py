from django import template

from clients.models import LadderStep

register = template.Library()


@register.filter
def ladder_label(step: int | None) -> str:
    """The ladder step's name, e.g. 3 → "Attended an online meeting"."""
    if step in LadderStep.values:
        return LadderStep(step).label
    return ""
