from django.core.management.base import BaseCommand, CommandError

from trustlabel.ledger.note import NoteError, generate_key


class Command(BaseCommand):
    help = (
        "Make a signing key for the public ledger: prints the private key (keep it secret: "
        "TRUSTLABEL_LEDGER_KEY_FILE) and, on stderr, the public key to publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the log's name, e.g. verify.example.org/ledger")

    def handle(self, *args, name, **options):
        try:
            private, public = generate_key(name)
        except NoteError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(private)
        self.stderr.write(f"public key: {public}")
