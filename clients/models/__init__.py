"""Clients and everything a therapist records about them, one module per topic.

Every model here reaches a practice (directly or through its client); `PRACTICE_PATH`
names that lookup so the admin can scope any of them the same way. Everything is importable
from `clients.models`, as Django expects.
"""

from clients.models.clients import (  # noqa: F401
    AttendancePreference,
    Client,
    ClientQuerySet,
    ClientStatus,
    GroupPreference,
    ProgramPreference,
    StageOfChange,
    Substance,
)
from clients.models.dashboard import (  # noqa: F401
    SUMMARY_MODELS,
    DashboardAttendanceSpell,
    DashboardClientNotes,
    DashboardLadderMove,
    DashboardMissedMeeting,
    DashboardReminderHour,
    DashboardThemeDay,
)
from clients.models.ladder import (  # noqa: F401
    LadderMove,
    LadderStep,
)
from clients.models.notes import (  # noqa: F401
    NOTE_SECTIONS,
    Addendum,
    NoteFormat,
    NoteStatus,
    NoteTheme,
    ResistanceTheme,
    SessionNote,
    SignedNoteError,
)
from clients.models.outcomes import (  # noqa: F401
    Instrument,
    MeasureRequest,
    MeasureSchedule,
    MeasureSource,
    OutcomeMeasure,
    OutcomeMeasureQuerySet,
    set_series_ends,
)
from clients.models.own_page import (  # noqa: F401
    ClientChangeKind,
    ClientPageChange,
    ClientPageSession,
)
from clients.models.plans import (  # noqa: F401
    Attendance,
    AttendanceStatus,
    MeetingPlan,
    MissReason,
    Recurrence,
    ReportedBy,
)
from clients.models.records import (  # noqa: F401
    Disclosure,
    DisclosureFormat,
    RecordSection,
)
from clients.models.reminders import (  # noqa: F401
    Reminder,
    ReminderKind,
    ReminderQuerySet,
    ReminderStatus,
)
