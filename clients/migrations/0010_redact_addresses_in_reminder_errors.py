# Mail failures used to be recorded with the server's text whole, which can quote the
# recipient's address (clients.services.reminders.describe_mail_error no longer does): the
# rows written before are redacted the same way, and those of restricted records emptied.

import re

from django.db import migrations

# The pattern of clients.services.reminders, copied: a migration keeps what it ran with.
EMAIL_ADDRESS = re.compile(r"""<?(?:"[^"\r\n]*"|[^\s<>"(),;:\[\]]+)@[^\s<>"'(),;:]+>?""")


def redact_reminder_errors(apps, schema_editor):
    Reminder = apps.get_model("clients", "Reminder")
    Reminder.objects.filter(plan__client__restricted_at__isnull=False).exclude(
        last_error=""
    ).update(last_error="")
    for reminder in Reminder.objects.filter(last_error__contains="@").only("last_error"):
        redacted = EMAIL_ADDRESS.sub("<address>", reminder.last_error)
        if redacted != reminder.last_error:
            Reminder.objects.filter(pk=reminder.pk).update(last_error=redacted)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0009_attendance_client_answered_at"),
    ]

    operations = [
        migrations.RunPython(redact_reminder_errors, migrations.RunPython.noop),
    ]
