"""One form for every outcome instrument, built from its description in clients.outcomes.

The therapist's page and the client's link both use it, so an item reads, is offered and is
checked the same way wherever it is answered; scoring itself stays in clients.outcomes.
"""

import datetime

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout
from django import forms
from django.utils import timezone

from clients.forms.common import DateInput
from clients.models import Instrument as InstrumentChoice
from clients.outcomes import Instrument, Item, score

FIELD_PREFIX = "item_"


def field_name(item: Item) -> str:
    return f"{FIELD_PREFIX}{item.key}"


def _label(item: Item) -> str:
    # Numbered items read "3. Question"; the rulers are named by what they ask.
    return f"{item.number}. {item.text}" if item.number[0].isdigit() else item.text


def _field(item: Item) -> forms.Field:
    label = _label(item)
    if item.kind == "days":
        return forms.IntegerField(
            label=label,
            min_value=item.min,
            max_value=item.max,
            help_text=f"Number of days, {item.min} to {item.max}.",
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        )
    if item.kind == "yes_no":
        return forms.ChoiceField(label=label, choices=item.choices, widget=forms.RadioSelect)
    return forms.TypedChoiceField(
        label=label, choices=item.choices, coerce=int, widget=forms.RadioSelect
    )


class InstrumentChoiceForm(forms.Form):
    instrument = forms.ChoiceField(choices=InstrumentChoice.choices, label="Instrument")


class MeasureForm(forms.Form):
    """Every item of one instrument; `responses` holds the cleaned answers for score()."""

    administered_on = forms.DateField(widget=DateInput(), label="Date given")

    def __init__(self, *args, instrument: Instrument, with_date: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        if with_date:
            self.fields["administered_on"].initial = timezone.localdate
        else:
            del self.fields["administered_on"]
        for item in instrument.items:
            self.fields[field_name(item)] = _field(item)
        self.helper = self._layout(with_date)

    def _layout(self, with_date: bool) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True  # the page's own form carries the token
        parts, group, grouped = [], "", []
        for item in self.instrument.items:
            layout_field = InlineRadios(field_name(item)) if item.kind == "scale" else None
            layout_field = layout_field or Field(field_name(item))
            if item.group:
                if item.group != group and grouped:
                    parts.append(Fieldset(group, *grouped))
                    grouped = []
                group = item.group
                grouped.append(layout_field)
                continue
            if grouped:
                parts.append(Fieldset(group, *grouped))
                group, grouped = "", []
            parts.append(layout_field)
        if grouped:
            parts.append(Fieldset(group, *grouped))
        helper.layout = Layout(*(["administered_on"] if with_date else []), *parts)
        return helper

    def clean_administered_on(self) -> datetime.date:
        day = self.cleaned_data["administered_on"]
        if day > timezone.localdate() + datetime.timedelta(days=1):
            raise forms.ValidationError("The date cannot be in the future.")
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        responses = {item.key: cleaned[field_name(item)] for item in self.instrument.items}
        try:
            # Scored here only to refuse what the instrument would not take, with the item
            # named; the service scores again from the same answers and stores that.
            score(self.instrument.key, responses)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        self.responses = responses
        return cleaned
