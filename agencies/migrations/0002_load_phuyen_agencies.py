"""Load Phú Yên's bodies (2021–2024) with one auth group each. Reversible."""

from django.db import migrations

from agencies.data import ALL_AGENCIES


def load(apps, schema_editor):
    Agency = apps.get_model("agencies", "Agency")
    Group = apps.get_model("auth", "Group")
    for order, (code, name, short, abbr, kind, level, stats) in enumerate(ALL_AGENCIES, start=1):
        group, _ = Group.objects.get_or_create(name=f"agency:{code}")
        Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "abbreviation": abbr,
                "kind": kind,
                "level": level,
                "stats_code": stats,
                "sort_order": order * 10,
                "group": group,
            },
        )


def unload(apps, schema_editor):
    Agency = apps.get_model("agencies", "Agency")
    Group = apps.get_model("auth", "Group")
    codes = [row[0] for row in ALL_AGENCIES]
    Agency.objects.filter(code__in=codes).delete()
    Group.objects.filter(name__in=[f"agency:{c}" for c in codes]).delete()


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(load, unload)]
