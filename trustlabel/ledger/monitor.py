"""Watch the ledger from outside: alarm when it rewrites history or shows two views.

Each round the monitor fetches the log's checkpoint, checks its signature against the
pinned public key (and the cosignatures of the witnesses it is given), checks that the
log's tiles hash to the signed root, and proves with those tiles that the checkpoint
extends the last one the monitor saw. Checkpoints from other places (a witness's stored
checkpoint, a mirror, a file someone was shown) must be consistent with it too: two signed
checkpoints that are not, above all two at one size with different roots, are a split view.
Only when everything holds does the checkpoint become the last one seen.

An alarm (exit status 1) means evidence of misbehaviour or tampering; the checkpoints that
prove it are saved next to the state file. A log that cannot be reached is exit status 2.

Only the standard library, `cryptography` and the ledger's pure modules, like the verifier:

    trustlabel-monitor https://verify.example.org/ledger --key-file ledger.vkey \\
        --state monitor.checkpoint --witness-url https://witness.example/ --interval 60
"""

import argparse
import base64
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import merkle, note
from .witness import origin_key, write_atomically

TIMEOUT = 10
MAX_CHECKPOINT = 64 * 1024


class Alarm(Exception):
    """The log misbehaved or something it serves was altered; `evidence` proves it."""

    def __init__(self, message: str, evidence: bytes = b""):
        super().__init__(message)
        self.evidence = evidence


class Unreachable(Exception):
    """A source could not be read this time: no verdict either way."""


def fetch(url: str, limit: int, timeout: float = TIMEOUT) -> bytes | None:
    """The body at `url`; None for 404; Unreachable for anything else that fails."""
    request = urllib.request.Request(url, headers={"User-Agent": "trustlabel-monitor"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read(limit + 1)[:limit]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise Unreachable(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(f"{url}: {getattr(exc, 'reason', exc)}") from None


class TileSource:
    """The log's tiles over HTTP, each fetched once a round."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self._cache: dict[merkle.Tile, bytes] = {}

    def read_tiles(self, tiles: list[merkle.Tile]) -> list[bytes]:
        datas = []
        for tile in tiles:
            if tile not in self._cache:
                data = fetch(f"{self.base_url}/{tile.path()}", tile.width * merkle.HASH_SIZE + 1)
                if data is None:
                    raise Alarm(f"the log does not serve {tile.path()}, a tile of its signed tree")
                self._cache[tile] = data
            datas.append(self._cache[tile])
        return datas

    def read_entries(self, n: int, size: int) -> list[bytes]:
        """The entries of entry bundle `n` of a tree of `size` leaves (tlog-tiles: each
        entry is its length in two big-endian bytes, then its bytes)."""
        tile = merkle.tile_in_tree(0, n, size)
        bundle = merkle.Tile(merkle.ENTRIES_LEVEL, n, tile.width)
        data = fetch(f"{self.base_url}/{bundle.path()}", tile.width * (2 + 0xFFFF))
        if data is None:
            raise Alarm(f"the log does not serve {bundle.path()}, entries of its signed tree")
        entries, position = [], 0
        while position < len(data):
            length = int.from_bytes(data[position : position + 2], "big")
            entries.append(data[position + 2 : position + 2 + length])
            position += 2 + length
        if position != len(data) or len(entries) != tile.width:
            raise Alarm(f"{bundle.path()} does not hold {tile.width} whole entries")
        return entries

    def hash_reader(self, size: int) -> merkle.HashReader:
        reader = merkle.tile_hash_reader(size, self.read_tiles)

        def read(indexes):
            try:
                return reader(indexes)
            except ValueError as exc:  # ProofError too: a tile of the wrong length, ...
                raise Alarm(f"the log's tiles are malformed: {exc}") from None

        return read


@dataclass
class Keys:
    log: note.Verifier
    witnesses: list[note.Verifier] = field(default_factory=list)
    origin: str | None = None


def open_signed(data: bytes, keys: Keys, where: str) -> tuple[note.Checkpoint, note.Note]:
    """A checkpoint checked against the pinned keys; Alarm if it is not the log's."""
    try:
        return note.open_checkpoint(data, keys.log, keys.witnesses, origin=keys.origin)
    except note.InvalidSignatureError as exc:
        problem = f"a signature by {exc.name} does not verify: the checkpoint was altered"
    except note.UnverifiedNoteError:
        problem = "it is not signed by the pinned log key"
    except note.NoteError as exc:
        problem = str(exc)
    raise Alarm(f"{where} serves a bad checkpoint: {problem}", data)


def _describe(checkpoint: note.Checkpoint) -> str:
    return f"size {checkpoint.size} (root {base64.b64encode(checkpoint.root_hash).decode()})"


def compare(
    earlier: note.Checkpoint,
    earlier_note: bytes,
    latest: note.Checkpoint,
    latest_note: bytes,
    read: merkle.HashReader,
    what: str,
) -> None:
    """Alarm unless `latest` (the log's, with `read` over its tiles) extends `earlier`."""
    evidence = earlier_note + b"\n" + latest_note
    if earlier.size > latest.size:
        raise Alarm(
            f"the log went back: it serves {_describe(latest)}, but {what} is at "
            f"{_describe(earlier)}",
            evidence,
        )
    if earlier.size == latest.size:
        if earlier.root_hash != latest.root_hash:
            raise Alarm(
                f"split view: the log signed two different trees at size {latest.size}: "
                f"{what} has root {base64.b64encode(earlier.root_hash).decode()}, it now "
                f"serves root {base64.b64encode(latest.root_hash).decode()}",
                evidence,
            )
        return
    proof = merkle.consistency_proof(earlier.size, latest.size, read)
    try:
        merkle.verify_consistency(
            earlier.size, latest.size, proof, earlier.root_hash, latest.root_hash
        )
    except merkle.ProofError as exc:
        raise Alarm(
            f"the log's tree at {_describe(latest)} does not extend {what} at "
            f"{_describe(earlier)}: history was rewritten ({exc})",
            evidence,
        ) from None


def audit(old_size: int, latest: note.Checkpoint, tiles: TileSource) -> int:
    """Check every entry and every tile added since `old_size` (a size already checked):
    the entries give the leaf hashes, and those with the old tree's edge give the signed
    root and every new tile, hash for hash. Alarm otherwise; how many entries were checked."""
    if old_size >= latest.size:
        return 0
    read_old = tiles.hash_reader(latest.size)
    leaves = []
    for n in range(old_size // merkle.TILE_WIDTH, -(-latest.size // merkle.TILE_WIDTH)):
        entries = tiles.read_entries(n, latest.size)
        skip = max(0, old_size - n * merkle.TILE_WIDTH)
        leaves += [merkle.leaf_hash(entry) for entry in entries[skip:]]
    first = merkle.stored_hash_index(0, old_size)
    computed = merkle.stored_hashes_for_append(old_size, leaves, read_old)

    def read(indexes):
        older = [i for i in indexes if i < first]
        known = dict(zip(older, read_old(older), strict=True)) if older else {}
        return [known[i] if i < first else computed[i - first] for i in indexes]

    if merkle.tree_hash(latest.size, read) != latest.root_hash:
        raise Alarm(
            f"the entries the log serves do not hash to the root it signed at size "
            f"{latest.size}: an entry was altered"
        )
    for tile in merkle.new_tiles(old_size, latest.size):
        if tiles.read_tiles([tile])[0] != merkle.read_tile_data(tile, read):
            raise Alarm(f"the log serves an altered {tile.path()}: its hashes are not the tree's")
    return len(leaves)


@dataclass(frozen=True)
class Seen:
    checkpoint: note.Checkpoint
    note: bytes
    cosigned_by: tuple[str, ...]
    checked_against: tuple[str, ...]
    audited: int | None = None
    skipped: tuple[str, ...] = ()


def check_once(
    log_url: str,
    keys: Keys,
    last: bytes | None,
    others: Sequence[tuple[str, str]] = (),
    audit_entries: bool = False,
) -> Seen:
    """One round: the log's checkpoint, checked against `last` (the last one seen) and the
    checkpoints at `others` (name, URL or file path), and with `audit_entries` every entry
    and tile added since `last`. Alarm, Unreachable, or what was seen."""
    log_url = log_url.rstrip("/")
    # The other views first: a log that is ahead of them is normal, one behind is not.
    views, skipped = [], []
    for name, source in others:
        try:
            data = _read_source(source)
        except Unreachable as exc:
            skipped.append(str(exc))  # a witness that is down says nothing against the log
            continue
        if data is None:
            continue  # nothing there yet (a witness that has not seen the log)
        views.append((name, data, *open_signed(data, keys, name)))
    latest_note = fetch(f"{log_url}/checkpoint", MAX_CHECKPOINT)
    if latest_note is None:
        raise Unreachable(f"{log_url}/checkpoint: no checkpoint (404)")
    latest, signed = open_signed(latest_note, keys, "the log")
    tiles = TileSource(log_url)
    read = tiles.hash_reader(latest.size)
    if merkle.tree_hash(latest.size, read) != latest.root_hash:
        raise Alarm(
            f"the log's tiles do not hash to the root it signed at size {latest.size}: "
            "a tile or the checkpoint was altered",
            latest_note,
        )
    checked = []
    seen_size = 0
    if last is not None:
        earlier, _ = open_signed(last, keys, "the monitor's state file")
        compare(earlier, last, latest, latest_note, read, "the last checkpoint this monitor saw")
        checked.append(f"the last one seen ({earlier.size})")
        seen_size = earlier.size
    for name, data, earlier, _ in views:
        compare(earlier, data, latest, latest_note, read, f"the checkpoint at {name}")
        checked.append(f"{name} ({earlier.size})")
    witness_ids = {(w.name, w.key_id) for w in keys.witnesses}
    cosigned = tuple(s.name for s in signed.sigs if (s.name, s.key_id) in witness_ids)
    audited = audit(seen_size, latest, tiles) if audit_entries else None
    return Seen(latest, latest_note, cosigned, tuple(checked), audited, tuple(skipped))


def _read_source(source: str) -> bytes | None:
    if source.startswith(("http://", "https://")):
        return fetch(source, MAX_CHECKPOINT)
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreachable(f"{source}: {exc.strerror}") from None


# The command ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustlabel-monitor",
        description="Watch a TrustLabel ledger: alarm (exit 1) when it shrinks, rewrites "
        "history, shows a split view or serves altered tiles or checkpoints; exit 2 when "
        "it cannot be reached.",
    )
    parser.add_argument("log_url", help="the ledger's base URL, for example https://host/ledger")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", help="the log's pinned verifier key (name+id+base64)")
    keys.add_argument("--key-file", type=Path, help="a file holding the log's verifier key")
    parser.add_argument("--origin", help="the log's origin line (default: the key's name)")
    parser.add_argument(
        "--state",
        type=Path,
        required=True,
        help="file keeping the last checkpoint seen (made on the first run)",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="VKEY",
        help="a witness's cosignature/v1 key: its cosignatures must verify (repeatable)",
    )
    parser.add_argument(
        "--witness-url",
        action="append",
        default=[],
        metavar="URL",
        help="a trustlabel-witness to compare views with: its stored checkpoint of this "
        "log must be consistent with the log's (repeatable)",
    )
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="URL_OR_FILE",
        help="another signed checkpoint of the log to compare with (repeatable)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also fetch every entry and tile added since the last check and recompute "
        "the tree from them (the whole log on the first run)",
    )
    rounds = parser.add_mutually_exclusive_group()
    rounds.add_argument("--once", action="store_true", help="check once and stop")
    rounds.add_argument(
        "--interval", type=float, default=60, help="seconds between checks (default 60)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The trustlabel-monitor command: 0 all well, 1 alarm, 2 could not check."""
    args = _parser().parse_args(argv)
    try:
        key_text = args.key if args.key is not None else args.key_file.read_text().strip()
        log = note.verifier_from_vkey(key_text)
        witnesses = [note.verifier_from_vkey(v) for v in args.witness]
    except (OSError, note.NoteError) as exc:
        print(f"trustlabel-monitor: {exc}", file=sys.stderr)
        return 2
    keys = Keys(log, witnesses, args.origin)
    origin = args.origin or log.name
    others = [
        (url, f"{url.rstrip('/')}/{origin_key(origin)}/checkpoint") for url in args.witness_url
    ]
    others += [(source, source) for source in args.also]
    while True:
        try:
            last = args.state.read_bytes() if args.state.exists() else None
            seen = check_once(args.log_url, keys, last, others, args.audit)
        except Alarm as alarm:
            _sound(alarm, args.state)
            return 1
        except Unreachable as exc:
            print(f"trustlabel-monitor: cannot check now: {exc}", file=sys.stderr)
            if args.once:
                return 2
        else:
            write_atomically(args.state, seen.note)
            for problem in seen.skipped:
                print(f"trustlabel-monitor: not compared: {problem}", file=sys.stderr)
            against = ", ".join(seen.checked_against) or "nothing yet (first run)"
            print(
                f"OK: {seen.checkpoint.origin} at {_describe(seen.checkpoint)}, "
                f"consistent with {against}"
                + (f"; cosigned by {', '.join(seen.cosigned_by)}" if seen.cosigned_by else "")
                + (f"; {seen.audited} new entries audited" if seen.audited is not None else ""),
                flush=True,
            )
            if args.once:
                return 0
        time.sleep(args.interval)


def _sound(alarm: Alarm, state: Path) -> None:
    print(f"ALARM: {alarm}", file=sys.stderr)
    if alarm.evidence:
        evidence = state.with_name(f"{state.name}.alarm-{time.time_ns()}")
        write_atomically(evidence, alarm.evidence)
        print(f"ALARM: the checkpoints that show it are in {evidence}", file=sys.stderr)
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
