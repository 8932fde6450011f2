from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organisation_gln"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="region",
            field=models.CharField(blank=True, max_length=6, verbose_name="seat (division code)"),
        ),
    ]
