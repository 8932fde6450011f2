"""`trustlabel rotate_keys [--retire VERSION]`: a new code key version for new orders.

Codes of older versions keep verifying. `--retire VERSION` first retires a version (its
codes stop verifying: for a key known to be compromised, or to free its leading digit for
reuse ten versions later).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from trustlabel.codes.actions import KeyRingExhausted, do_retire_key, do_rotate_keys
from trustlabel.codes.models import KeyVersion


class Command(BaseCommand):
    help = "Make a new code key version and use it for new label orders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retire",
            type=int,
            metavar="VERSION",
            help="retire this key version first: its codes will no longer verify",
        )

    def handle(self, *args, retire: int | None, **options):
        if retire is not None:
            if not KeyVersion.objects.filter(pk=retire).exists():
                raise CommandError(_("Key version %(v)s does not exist.") % {"v": retire})
            do_retire_key(retire)
            self.stdout.write(
                _("Key version %(v)s retired: its codes no longer verify.") % {"v": retire}
            )
        try:
            kv = do_rotate_keys()
        except KeyRingExhausted as e:
            raise CommandError(str(e)) from None
        self.stdout.write(_("Key version %(v)s made; new label orders use it.") % {"v": kv.version})
