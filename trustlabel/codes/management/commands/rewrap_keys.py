"""`trustlabel rewrap_keys --old-key-file PATH`: move the key ring to a new master key.

Set TRUSTLABEL_MASTER_KEY (or TRUSTLABEL_MASTER_KEY_FILE) to the new master key and name
the file holding the old one. Every key version is unwrapped with the old key and wrapped
with the new one in one transaction; the codes themselves do not change. Then give every
web worker and background worker the new master key and restart them.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from trustlabel.codes.actions import do_rewrap_key_ring
from trustlabel.codes.keyring import KeyRingError, decode_master_key, load_master_key


class Command(BaseCommand):
    help = "Wrap every code key version under the master key now configured."

    def add_arguments(self, parser):
        parser.add_argument(
            "--old-key-file",
            required=True,
            type=Path,
            help="file holding the master key the key ring is wrapped with now",
        )

    def handle(self, *args, old_key_file: Path, **options):
        try:
            old = decode_master_key(old_key_file.read_text(), str(old_key_file))
            new = load_master_key()
            count = do_rewrap_key_ring(old, new)
        except OSError as e:
            raise CommandError(f"{old_key_file}: {e.strerror}") from None
        except (ImproperlyConfigured, KeyRingError) as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            _("%(n)s key versions are now wrapped by the new master key.") % {"n": count}
        )
