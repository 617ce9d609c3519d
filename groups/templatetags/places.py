"""Distances as the practice counts them: `{{ km|distance:unit }}` reads "4 mi" or "6 km"."""

from django import template

from groups.places import in_unit

register = template.Library()


@register.filter
def distance(km: float | None, unit: str) -> str:
    if km is None:
        return ""
    value = in_unit(km, unit)
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
