"""`manage.py create_practice`: a real practice and the invitation of its first admin."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from recovery.invitations import invitation_link, practice_create


class Command(BaseCommand):
    help = (
        "Create a practice and invite its first practice admin: prints a one-time link (also "
        "emailed) with which the admin sets a password and two-factor sign-in, then invites "
        "the rest of the staff from the Staff page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the practice's name")
        parser.add_argument(
            "--time-zone", required=True, help="e.g. America/New_York (the practice's day)"
        )
        parser.add_argument(
            "--sender-name",
            default="",
            help="shown as the sender of reminder emails; keep it discreet (default: the name)",
        )
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True, help="the admin's full name")

    def handle(self, *args, **options) -> None:
        try:
            invitation = practice_create(
                name=options["name"],
                time_zone=options["time_zone"],
                sender_name=options["sender_name"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created the practice {invitation.practice.name}."))
        self.stdout.write(
            f"{invitation.full_name} is invited as its practice admin. The invitation is emailed "
            f"to {invitation.email}; this is the same one-time link, valid for "
            f"{settings.INVITATION_MAX_AGE_HOURS} hours:"
        )
        self.stdout.write(invitation_link(invitation.outgoing_token))
