"""`manage.py flush`, and every transactional test's teardown, with the dashboard's summary
tables emptied after the rows they summarise.

On SQLite a flush is one DELETE per table, in no fixed order, inside one transaction whose
foreign keys are checked at its end. The summaries' triggers (migration 0018) fire on those
DELETEs: a summary emptied before its source rows would get rows back from them, naming a
practice or client the flush removes too, and the commit would fail on them. Emptied last,
whatever the triggers wrote on the way is gone as well. (PostgreSQL flushes with one
TRUNCATE, which fires no row triggers.)
"""

from django.core.management.commands import flush

from clients.models import SUMMARY_MODELS


def empties_a_summary(statement: str) -> bool:
    return statement.startswith("DELETE FROM") and any(
        f'"{model._meta.db_table}"' in statement for model in SUMMARY_MODELS
    )


class Command(flush.Command):
    def handle(self, **options):
        # Django's flush builds its statements with the module's sql_flush and runs them at
        # once; the order is changed there, for this call only.
        build = flush.sql_flush

        def summaries_last(*args, **kwargs):
            return sorted(build(*args, **kwargs), key=empties_a_summary)

        flush.sql_flush = summaries_last
        try:
            return super().handle(**options)
        finally:
            flush.sql_flush = build
