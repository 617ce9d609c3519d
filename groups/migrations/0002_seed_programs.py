from django.db import migrations

# (key, name, is 12-step, one-line description)
PROGRAMS = (
    (
        "AA",
        "Alcoholics Anonymous",
        True,
        "Twelve-step fellowship for people with a drinking problem.",
    ),
    ("NA", "Narcotics Anonymous", True, "Twelve-step fellowship for recovery from any drug."),
    (
        "CA",
        "Cocaine Anonymous",
        True,
        "Twelve-step fellowship for recovery from cocaine and all mind-altering substances.",
    ),
    (
        "SMART",
        "SMART Recovery",
        False,
        "Secular, science-based mutual help using CBT and motivational tools.",
    ),
    (
        "RD",
        "Recovery Dharma",
        False,
        "Peer-led program that uses Buddhist practice and meditation.",
    ),
    (
        "LIFERING",
        "LifeRing Secular Recovery",
        False,
        "Secular, abstinence-based peer support focused on the sober self.",
    ),
    (
        "WFS",
        "Women for Sobriety",
        False,
        "Secular program for women built on thirteen acceptance statements.",
    ),
    (
        "CR",
        "Celebrate Recovery",
        True,
        "Christ-centered twelve-step program for hurts, habits and hang-ups.",
    ),
    (
        "ALANON",
        "Al-Anon",
        True,
        "Twelve-step fellowship for families and friends of people who drink.",
    ),
    ("OTHER", "Other", False, "Another mutual-help group."),
)


def seed(apps, schema_editor):
    Program = apps.get_model("groups", "Program")
    for key, name, twelve_step, description in PROGRAMS:
        Program.objects.update_or_create(
            key=key,
            defaults={"name": name, "is_twelve_step": twelve_step, "description": description},
        )


def unseed(apps, schema_editor):
    apps.get_model("groups", "Program").objects.filter(key__in=[p[0] for p in PROGRAMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
