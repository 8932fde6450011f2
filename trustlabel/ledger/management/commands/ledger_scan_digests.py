import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from trustlabel.accounts.models import Organisation
from trustlabel.ledger.models import Entry
from trustlabel.ledger.records import scan_digest, subject_of
from trustlabel.verify.models import ScanLog


class Command(BaseCommand):
    help = (
        "Record in the ledger, per enterprise, the digest of one day's scan log (count and "
        "Merkle root). Default: yesterday, in the association's time zone. Run daily (cron); "
        "days already recorded are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD")

    def handle(self, *args, day=None, **options):
        try:
            day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
        except ValueError as e:
            raise CommandError(f"--day: {e}") from e
        if day >= timezone.localdate():
            raise CommandError("--day: only a day that is over can be digested")
        zone = timezone.get_default_timezone()
        start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
        scans = ScanLog.objects.filter(
            checked_at__gte=start, checked_at__lt=start + dt.timedelta(days=1)
        ).exclude(organisation=None)
        recorded = 0
        for organisation in Organisation.objects.filter(
            pk__in=scans.values("organisation_id").distinct()
        ):
            subject = f"{subject_of(organisation)}/scans/{day.isoformat()}"
            with transaction.atomic():
                if Entry.objects.filter(subject=subject, kind="scan_digest").exists():
                    continue
                scan_digest(
                    organisation, day, list(scans.filter(organisation=organisation).order_by("pk"))
                )
                recorded += 1
        self.stdout.write(f"{day}: {recorded} scan digests recorded")
