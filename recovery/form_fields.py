"""Form fields shared by the apps' admin and page forms."""

import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError


class LinesField(forms.Field):
    """A list of short texts (a JSONField list) edited as one item per line.

    Blank lines and surrounding spaces are dropped, and so is an item given twice. With
    `commas=True` a comma also separates items, for lists of codes ("O, BE, W") where no item
    holds one. Each item is cleaned by `item_field` (a plain CharField unless given), and an
    error names the item it is about.
    """

    widget = forms.Textarea(attrs={"rows": 6})

    def __init__(
        self,
        *,
        item_field: forms.Field | None = None,
        commas: bool = False,
        max_items: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault(
            "help_text", "One per line." if not commas else "One per line, or separated by commas."
        )
        super().__init__(**kwargs)
        self.item_field = item_field or forms.CharField(max_length=500)
        self.item_field.required = True
        self.commas = commas
        self.max_items = max_items

    def prepare_value(self, value):
        # Shown as lines; a bound form's text (after a form error) is shown as typed.
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):  # the initial value, when has_changed() compares
            pieces: Iterable = value
        else:
            pieces = re.split(r"[\r\n,]+" if self.commas else r"[\r\n]+", str(value))
        items: list[str] = []
        for piece in pieces:
            text = str(piece).strip()
            if text and text not in items:
                items.append(text)
        return items

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def clean(self, value) -> list:
        items = self.to_python(value)
        self.validate(items)
        if self.max_items is not None and len(items) > self.max_items:
            raise ValidationError(f"Give at most {self.max_items} items; this has {len(items)}.")
        cleaned, errors = [], []
        for item in items:
            try:
                cleaned.append(self.item_field.clean(item))
            except ValidationError as error:
                errors.extend(f"“{item[:60]}”: {message}" for message in error.messages)
        if errors:
            raise ValidationError(errors)
        self.run_validators(cleaned)
        return cleaned

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        return self.to_python(initial) != self.to_python(data)
