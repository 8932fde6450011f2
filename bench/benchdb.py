"""A benchmark's own PostgreSQL database (at 127.0.0.1:5432, as in the CI), and Django set
up on it with secrets made for the run."""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

# Every benchmark imports the project, some before Django is set up (to make a key).
sys.path.insert(0, str(ROOT))


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def recreate_database(name: str, admin_url: str = ADMIN_URL) -> None:
    """Drop the database `name` if it is there, and create it empty."""
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-q", admin_url, "-c", sql], check=True)


def database_exists(name: str) -> bool:
    result = subprocess.run(
        ["psql", "-Atq", ADMIN_URL, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip() == "1"


def new_ledger_key() -> str:
    """A ledger signing key made for the run."""
    from trustlabel.ledger.note import generate_key

    return generate_key("bench.example.org/ledger")[0]


def setup_django(name: str, var_prefix: str, **environment: str | None) -> None:
    """Django on the database `name`, with new secrets and a var folder of its own (with
    the static folder the settings ask for). `environment` adds variables or replaces
    these; None removes one."""
    var = tempfile.mkdtemp(prefix=var_prefix)
    Path(var, "static").mkdir()
    variables = {
        "DATABASE_URL": database_url(name),
        "DJANGO_SETTINGS_MODULE": "trustlabel.settings",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTLABEL_MASTER_KEY": secrets.token_hex(32),
        "TRUSTLABEL_VAR_DIR": var,
        "LOG_LEVEL": "WARNING",
        **environment,
    }
    for key, value in variables.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    start_django()


def start_django() -> None:
    """Django as the environment already says (a benchmark's own child processes)."""
    import django

    django.setup()
