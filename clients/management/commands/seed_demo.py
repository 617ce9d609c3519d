"""`manage.py seed_demo`: the demo practice with invented data, created once."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clients.emails import site_link
from clients.tokens import Purpose, make_token
from seeding.demo import demo_practice_seed
from seeding.demo.reminders import demo_reminders_refresh


class Command(BaseCommand):
    help = (
        "Create a demo practice with invented staff, clients, notes and meetings. "
        "Does nothing but print the sign-ins if it already exists."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            # Demo accounts share a password printed in the README: never on a real server.
            raise CommandError(
                "seed_demo refuses to run with DJANGO_DEBUG=0: it creates demo accounts whose "
                "password is published in the README. For a real practice use "
                "`manage.py create_practice`."
            )
        result = demo_practice_seed()
        name = result.practice.name
        if result.created:
            made = ", ".join(f"{count} {what}" for what, count in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Created the demo practice {name}: {made}."))
        else:
            self.stdout.write(f"The demo practice {name} already exists; nothing changed.")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Sign in at {settings.SITE_URL}/ as any of:"))
        width = max((len(s.role) for s in result.sign_ins), default=0)
        name_width = max((len(s.name) for s in result.sign_ins), default=0)
        for sign_in in result.sign_ins:
            self.stdout.write(
                f"  {sign_in.role:<{width}}  {sign_in.name:<{name_width}}  {sign_in.email}"
            )
        self.stdout.write(f"Password for every demo account: {result.password}")
        client = demo_reminders_refresh(practice=result.practice, now=timezone.now())
        if client is not None:
            self.stdout.write(
                f"{client.preferred_name} has a meeting within the hour: watch the worker's "
                "output for the reminder email (printed, not sent) in a minute or two."
            )
            self.stdout.write(
                f"{client.preferred_name}'s own page, as the link in every email opens it: "
                f"{site_link('page', make_token(Purpose.PAGE, client.pk))}"
            )
