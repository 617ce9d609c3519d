import django_filters
from django import forms
from django.db.models import QuerySet

from clients.models import ClientStatus, LadderStep, StageOfChange
from recovery.models import Role, User

NOT_STARTED = 0


class CaseloadFilter(django_filters.FilterSet):
    """Search and filters of the caseload; works on `caseload_for_user(...)`'s annotations."""

    q = django_filters.CharFilter(
        field_name="preferred_name",
        lookup_expr="icontains",
        label="Name",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search by name"}),
        max_length=100,
    )
    stage = django_filters.ChoiceFilter(
        field_name="stage_of_change",
        choices=StageOfChange.choices,
        label="Stage of change",
        empty_label="Any stage",
    )
    step = django_filters.ChoiceFilter(
        choices=[(NOT_STARTED, "Not started"), *LadderStep.choices],
        method="filter_step",
        label="Ladder step",
        empty_label="Any step",
    )
    status = django_filters.ChoiceFilter(
        choices=[*ClientStatus.choices, ("all", "All")],
        method="filter_status",
        label="Status",
        empty_label=None,
    )
    therapist = django_filters.ModelChoiceFilter(
        field_name="primary_therapist",
        queryset=User.objects.none(),
        label="Therapist",
        empty_label="All therapists",
    )

    def __init__(self, data=None, *args, user: User, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", ClientStatus.ACTIVE)  # the caseload is the active clients
        super().__init__(data, *args, **kwargs)
        if user.role == Role.THERAPIST:
            del self.filters["therapist"]
        else:
            self.filters["therapist"].queryset = User.objects.filter(
                practice=user.practice, role=Role.THERAPIST
            )

    def filter_step(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if int(value) == NOT_STARTED:
            return queryset.filter(ladder_step__isnull=True)
        return queryset.filter(ladder_step=int(value))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "all" else queryset.filter(status=value)
