"""`manage.py seed_scale`: a new, large invented practice for measuring at scale."""

from django.core.management.base import BaseCommand, CommandParser

from recovery.models import Role
from seeding.scale import PASSWORD, scale_practice_seed


class Command(BaseCommand):
    help = (
        'Create a new large invented practice ("Scale Practice <n>") with bulk inserts. '
        "Every run adds another practice; nothing existing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--therapists", type=int, default=50)
        parser.add_argument("--clients", type=int, default=5_000)
        parser.add_argument("--notes-per-client", type=int, default=50)
        parser.add_argument("--attendance-per-client", type=int, default=100)
        parser.add_argument(
            "--measures-per-client",
            type=int,
            default=12,
            help="Outcome measures per client, on average (half to one and a half times this).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Same seed, same rows.")

    def handle(self, *args, **options) -> None:
        result = scale_practice_seed(
            therapists=options["therapists"],
            clients=options["clients"],
            notes_per_client=options["notes_per_client"],
            attendance_per_client=options["attendance_per_client"],
            measures_per_client=options["measures_per_client"],
            seed=options["seed"],
            progress=self.stdout.write,
        )
        made = ", ".join(f"{count} {what}" for what, count in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Created {result.practice.name} in {result.seconds:.1f}s: {made}.")
        )
        manager = result.practice.users.get(role=Role.MANAGER)
        self.stdout.write(f"Sign in as {manager.email} (every account: {PASSWORD}).")
