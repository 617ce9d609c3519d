"""Forms parse and validate what people type; services decide what happens with it.

One module per topic; the forms are importable from here as well.
"""

from clients.forms.clients import ClientForm, LadderMoveForm
from clients.forms.common import DateInput, time_zone_choices
from clients.forms.dashboard import DashboardFilters
from clients.forms.meetings import AttendanceForm, MeetingPlanForm
from clients.forms.notes import AddendumForm, SessionNoteForm, carry_sections_over
from clients.forms.outcomes import InstrumentChoiceForm, MeasureForm
from clients.forms.reminders import ConsentForm, ReminderPreferencesForm

__all__ = [
    "AddendumForm",
    "AttendanceForm",
    "ClientForm",
    "ConsentForm",
    "DashboardFilters",
    "DateInput",
    "InstrumentChoiceForm",
    "LadderMoveForm",
    "MeasureForm",
    "MeetingPlanForm",
    "ReminderPreferencesForm",
    "SessionNoteForm",
    "carry_sections_over",
    "time_zone_choices",
]
