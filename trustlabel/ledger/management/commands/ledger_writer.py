import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection

from trustlabel.ledger.actions import do_integrate
from trustlabel.ledger.keys import LedgerNotConfigured
from trustlabel.ledger.models import Checkpoint
from trustlabel.ledger.witnessing import configured_witnesses, request_cosignatures

logger = logging.getLogger("trustlabel.ledger")


class Command(BaseCommand):
    help = (
        "Integrate queued ledger entries and sign checkpoints, every --interval seconds "
        "(run one; a second waits for the first's lock), and send new checkpoints to the "
        "witnesses every --witness-interval seconds. --once: one round, then stop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5)
        parser.add_argument("--witness-interval", type=float, default=5.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, interval, witness_interval, once, **options):
        witnessed_at = 0.0
        while True:
            if not connection.in_atomic_block:  # (a test's transaction is not ours to end)
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
            if configured_witnesses() and time.monotonic() - witnessed_at >= witness_interval:
                # Outside the integration's transaction: a slow witness never holds the log.
                latest = Checkpoint.objects.order_by("-size").first()
                if latest is not None:
                    request_cosignatures(latest)
                witnessed_at = time.monotonic()
            if once:
                return
            if checkpoint is None:
                time.sleep(interval)
