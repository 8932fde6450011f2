"""`trustlabel purge_exports`: delete print files past their time.

Exports not downloaded within TRUSTLABEL_EXPORT_TTL_HOURS are deleted. Run it from cron
(hourly is plenty); requesting a new export also purges.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from trustlabel.codes.actions import purge_expired_exports


class Command(BaseCommand):
    help = "Delete the files of print exports past their expiry time."

    def handle(self, *args, **options):
        count = purge_expired_exports()
        self.stdout.write(_("%(count)s expired print files deleted.") % {"count": count})
