import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from trustlabel.ledger.actions import do_integrate
from trustlabel.ledger.keys import LedgerNotConfigured

logger = logging.getLogger("trustlabel.ledger")


class Command(BaseCommand):
    help = (
        "Integrate queued ledger entries and sign checkpoints, every --interval seconds "
        "(run one; a second waits for the first's lock). --once: one round, then stop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval, once, **options):
        while True:
            close_old_connections()
            try:
                checkpoint = do_integrate()
            except LedgerNotConfigured as e:
                raise CommandError(str(e)) from e
            except DatabaseError:
                # The database went away or the transaction failed: nothing was integrated
                # (one transaction), so the next round simply tries again.
                logger.exception("ledger: integration failed; trying again")
                checkpoint = None
            if checkpoint is not None:
                logger.info("ledger: checkpoint at size %d", checkpoint.size)
            if once:
                return
            if checkpoint is None:
                time.sleep(interval)
