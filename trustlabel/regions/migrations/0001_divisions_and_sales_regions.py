import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Division',
            fields=[
                ('code', models.CharField(max_length=6, primary_key=True, serialize=False, verbose_name='code')),
                ('name', models.CharField(max_length=50, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(max_length=100, verbose_name='name (English)')),
                ('level', models.PositiveSmallIntegerField(choices=[(1, 'province'), (2, 'prefecture'), (3, 'county')], verbose_name='level')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='regions.division', verbose_name='part of')),
            ],
            options={
                'verbose_name': 'administrative division',
                'verbose_name_plural': 'administrative divisions',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='SalesRegion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('division', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.division', verbose_name='division')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sales_regions', to='accounts.organisation', verbose_name='distributor')),
            ],
            options={
                'verbose_name': 'sales region',
                'verbose_name_plural': 'sales regions',
                'ordering': ['organisation', 'division'],
                'constraints': [models.UniqueConstraint(fields=('organisation', 'division'), name='sales_region_once')],
            },
        ),
    ]
