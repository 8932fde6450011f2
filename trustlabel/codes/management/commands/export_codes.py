"""`trustlabel export_codes ORDER_ID --format csv|pdf --out PATH`: an order's print file.

For the operator: writes the file straight to PATH, outside the portal's download flow.
The file holds every secret code of the order; keep it as safe as the master key.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from trustlabel.codes import exports
from trustlabel.codes.models import LabelOrder

FORMATS = {"csv": exports.write_csv_zip, "pdf": exports.write_pdf}


class Command(BaseCommand):
    help = "Write the print file (zipped CSV or PDF label sheet) of a label order."

    def add_arguments(self, parser):
        parser.add_argument("order_id", type=int, help="the label order's number")
        parser.add_argument("--format", default="csv", help="csv (zipped) or pdf")
        parser.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args, **options):
        order_id, out = options["order_id"], options["out"]
        fmt = options["format"].lower()
        if fmt not in FORMATS:
            raise CommandError(
                _("Unknown format %(fmt)r: choose csv or pdf.") % {"fmt": options["format"]}
            )
        order = (
            LabelOrder.objects.select_related("product", "key_version").filter(pk=order_id).first()
        )
        if order is None:
            raise CommandError(_("Label order %(id)s does not exist.") % {"id": order_id})
        limit = settings.TRUSTLABEL_PDF_MAX_LABELS
        if fmt == "pdf" and order.quantity > limit:
            raise CommandError(
                _(
                    "Label order %(id)s has %(count)s labels; a PDF label sheet holds at "
                    "most %(max)s (TRUSTLABEL_PDF_MAX_LABELS). Use --format csv."
                )
                % {"id": order_id, "count": order.quantity, "max": limit}
            )
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(_("The directory %(dir)s does not exist.") % {"dir": path.parent})
        partial = path.with_name(path.name + ".part")
        verbose = options["verbosity"] >= 2

        def progress(done: int) -> None:
            if verbose:
                self.stderr.write(f"{done}/{order.quantity}")

        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fileobj:
                FORMATS[fmt](order, fileobj, progress=progress)
            os.replace(partial, path)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": out, "error": e}
            ) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stdout.write(
            _("Wrote %(count)s labels of order %(id)s to %(path)s.")
            % {"count": order.quantity, "id": order_id, "path": path}
        )
