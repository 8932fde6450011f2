import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from trustlabel.ledger.actions import do_integrate

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
            checkpoint = do_integrate()
            if checkpoint is not None:
                logger.info("ledger: checkpoint at size %d", checkpoint.size)
            if once:
                return
            if checkpoint is None:
                time.sleep(interval)
