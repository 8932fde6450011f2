from django.db import migrations
from django.utils import timezone


def enterprises_are_members(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    Member = apps.get_model("integrity", "Member")
    for organisation in Organisation.objects.filter(kind="enterprise", member__isnull=True):
        Member.objects.create(
            organisation=organisation,
            status="active",
            joined_on=timezone.localdate(organisation.created_at),
        )


class Migration(migrations.Migration):
    dependencies = [("integrity", "0001_member")]

    operations = [migrations.RunPython(enterprises_are_members, migrations.RunPython.noop)]
