"""Flag each client's first and latest measure of each instrument, for the dashboard."""

from django.db import migrations, models

CHUNK = 1_000


def flag_series_ends(apps, schema_editor):
    """One pass over the measures in series order; the historical model has no save()."""
    OutcomeMeasure = apps.get_model("clients", "OutcomeMeasure")
    firsts, latests = [], []
    previous_key, previous_pk = None, None
    rows = OutcomeMeasure.objects.order_by(
        "client_id", "instrument", "administered_on", "id"
    ).values_list("id", "client_id", "instrument")
    for pk, client_id, instrument in rows.iterator(chunk_size=CHUNK):
        if (client_id, instrument) != previous_key:
            firsts.append(pk)
            if previous_pk is not None:
                latests.append(previous_pk)
            previous_key = (client_id, instrument)
        previous_pk = pk
    if previous_pk is not None:
        latests.append(previous_pk)
    for ids, field in ((firsts, "is_first"), (latests, "is_latest")):
        for start in range(0, len(ids), CHUNK):
            OutcomeMeasure.objects.filter(pk__in=ids[start : start + CHUNK]).update(**{field: True})


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0013_outcome_measures"),
    ]

    operations = [
        migrations.AddField(
            model_name="outcomemeasure",
            name="is_first",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="outcomemeasure",
            name="is_latest",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="outcomemeasure",
            index=models.Index(
                condition=models.Q(("is_first", True), ("is_latest", True), _connector="OR"),
                fields=["instrument", "client"],
                include=[
                    "id",
                    "administered_on",
                    "is_first",
                    "is_latest",
                    "total",
                    "band",
                    "safety_flag",
                ],
                name="outcome_series_ends",
            ),
        ),
        # After the index, not before it: on PostgreSQL an UPDATE leaves deferred foreign-key
        # checks pending until the end of the transaction, and CREATE INDEX refuses to run
        # on a table with any.
        migrations.RunPython(flag_series_ends, migrations.RunPython.noop),
    ]
