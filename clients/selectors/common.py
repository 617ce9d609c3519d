"""What several pages' reads share: the fields they load of staff, plans and meetings."""

# A staff member named on a page: their name, not their password hash or sign-in history.
UNSHOWN_USER_FIELDS = ("password", "last_login", "date_joined")

# The fields MeetingPlan.occurrences reads, for a plan and its meeting loaded with only().
PLAN_DATES = ("recurrence", "starts_on", "until", "meeting_id")
MEETING_TIMES = ("meeting__day", "meeting__start_time", "meeting__time_zone")
