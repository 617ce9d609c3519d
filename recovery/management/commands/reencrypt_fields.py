"""`manage.py reencrypt_fields`: rewrite every encrypted value with the newest key.

After a new key is put first in FIELD_ENCRYPTION_KEY (the old ones after it), run this; once
it reports nothing left to re-encrypt, the old keys can be removed from the setting.
"""

from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, router, transaction

from recovery.fields import encrypted_fields, raw_token_columns, rotate_token


@dataclass
class FieldCount:
    label: str
    rotated: int = 0
    current: int = 0
    empty: int = 0
    unreadable: list[int] = field(default_factory=list)  # primary keys


def reencrypt_model(
    model: type[models.Model], fields: list[models.Field], *, batch_size: int, dry_run: bool
) -> list[FieldCount]:
    """Re-encrypt the model's encrypted columns in primary-key order, one batch at a time.

    Each batch is read with SELECT ... FOR UPDATE and written in the same transaction, so an
    edit made meanwhile waits rather than being overwritten with the older text. Tokens are
    read and written as raw text, not through model instances: the values do not change, only
    their encryption does, so no model's save() runs (a signed note's save() refuses any
    write) and auto_now fields keep their dates. _base_manager sees every row, whatever a
    model's default manager filters out.
    """
    counts = [FieldCount(f"{model._meta.label}.{f.name}") for f in fields]
    raw = raw_token_columns(fields)
    database = router.db_for_write(model)
    last_pk = None
    while True:
        with transaction.atomic(using=database):
            rows = model._base_manager.using(database).order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            if not dry_run:
                rows = rows.select_for_update()
            batch = list(rows.annotate(**raw).values_list("pk", *raw)[:batch_size])
            if not batch:
                return counts
            last_pk = batch[-1][0]
            for index, (f, count) in enumerate(zip(fields, counts, strict=True), start=1):
                changed = []
                for row in batch:
                    token = row[index]
                    if token is None:
                        count.empty += 1
                        continue
                    try:
                        new_token = rotate_token(token)
                    except InvalidToken:
                        count.unreadable.append(row[0])
                        continue
                    if new_token is None:
                        count.current += 1
                        continue
                    count.rotated += 1
                    obj = model(pk=row[0])
                    # An expression, so bulk_update writes the token as it is instead of
                    # passing it through the field, which would encrypt it a second time.
                    setattr(
                        obj, f.attname, models.Value(new_token, output_field=models.TextField())
                    )
                    changed.append(obj)
                if changed and not dry_run:
                    model._base_manager.using(database).bulk_update(changed, [f.attname])


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field, in every app, with the first key of "
        "FIELD_ENCRYPTION_KEY. Values the first key already encrypts are left alone, so it is "
        "safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows per transaction (default 500)."
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        rotated = current = 0
        unreadable: list[str] = []
        for model, fields in encrypted_fields():
            for count in reencrypt_model(model, fields, batch_size=batch_size, dry_run=dry_run):
                self.stdout.write(
                    f"{count.label}: {count.rotated} {verb}, {count.current} already on the "
                    f"newest key, {count.empty} empty"
                    + (f", {len(count.unreadable)} UNREADABLE" if count.unreadable else "")
                )
                rotated += count.rotated
                current += count.current
                unreadable += [f"{count.label} id {pk}" for pk in count.unreadable]
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Dry run: ' if dry_run else ''}{rotated} values {verb}, "
                f"{current} already on the newest key."
            )
        )
        if unreadable:
            shown = ", ".join(unreadable[:20])
            more = len(unreadable) - 20
            raise CommandError(
                f"{len(unreadable)} values could not be decrypted with any key in "
                f"FIELD_ENCRYPTION_KEY and were left as they are: {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
