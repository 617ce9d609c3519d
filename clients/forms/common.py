"""What the clients' forms share: a date box and the time zones to choose from."""

import functools

from django import forms

from recovery.models import known_time_zones


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in known_time_zones() if "/" in z and "Etc" not in z)
    return [(zone, zone.replace("_", " ")) for zone in zones]
