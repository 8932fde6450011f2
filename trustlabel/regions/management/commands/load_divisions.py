"""`trustlabel load_divisions`: bring the division table up to the vendored list.

The migration fills the table on a new database; run this after an upgrade that ships
a newer data/divisions.csv. Divisions the list no longer has are kept and reported with
the sales regions that still use them, which the association then moves by hand."""

from pathlib import Path

from django.core.management.base import BaseCommand

from trustlabel.regions import divisions
from trustlabel.regions.actions import do_load_divisions


class Command(BaseCommand):
    help = "Insert or update the administrative divisions from the vendored MCA list."

    def add_arguments(self, parser):
        parser.add_argument(
            "--csv",
            type=Path,
            default=divisions.DIVISIONS_CSV,
            help="a CSV with code,parent,level,name,name_en (default: the vendored list)",
        )

    def handle(self, *args, csv: Path, **options):
        result = do_load_divisions(csv)
        self.stdout.write(
            f"{result['added']} divisions added, {result['updated']} updated "
            f"(data as of {divisions.provenance()['data_as_of']})."
        )
        if result["retired"]:
            self.stdout.write(
                self.style.WARNING(f"No longer listed: {', '.join(result['retired'])}")
            )
        for organisation, code in result["retired_in_use"]:
            self.stdout.write(
                self.style.WARNING(f"  still a sales region of {organisation}: {code}")
            )
