"""A transparency log witness (C2SP tlog-witness), for another organisation to run.

A regulator or a member runs it with its own cosignature/v1 key and the public keys of the
logs it watches. The log sends each new checkpoint with a consistency proof from the last
one this witness cosigned:

    POST <prefix>/add-checkpoint

    old <size this witness last cosigned>
    <consistency proof hashes, base64, one a line>
    <empty line>
    <the signed checkpoint>

and gets back one cosignature line (C2SP tlog-cosignature/v1). The witness checks the log's
signature (403 if no trusted key signed, 404 for an origin it does not watch), that `old` is
the size it has (409 with `Content-Type: text/x.tlog.size` and that size otherwise), the
proof (422), and at the same size the same root (409: a fork); a body out of shape is 400.
It stores the new checkpoint, one file per log replaced atomically and fsynced, before it
answers, so what it cosigned survives a crash and it never cosigns two views of one log.

It also serves what it stored, for monitors comparing views (the spec leaves monitor
retrieval open; this shape is ours):

    GET <prefix>/<hex SHA-256 of the origin>/checkpoint

Only the standard library, `cryptography` and the ledger's merkle and note modules, like
the stand-alone verifier: run it with `trustlabel-witness` or
`python -m trustlabel.ledger.witness serve --help`.
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import http.server
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import merkle, note

logger = logging.getLogger("trustlabel.witness")

SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_BODY = 64 * 1024  # 63 proof lines and a checkpoint with 100 signatures fit easily
MAX_PROOF_LINES = 63
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class Refusal(Exception):
    """A request the witness answers with an HTTP error status; the message says why."""

    def __init__(self, status: int, message: str, size: int | None = None):
        super().__init__(message)
        self.status = status
        self.size = size  # for 409 on a stale old size: the size this witness has


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    signed_note: bytes


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """An add-checkpoint request body; Refusal(400) unless it follows the spec."""
    head, blank, signed_note = body.partition(b"\n\n")
    if not blank or not signed_note:
        raise Refusal(400, "no empty line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise Refusal(400, "the lines before the checkpoint must be ASCII") from None
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise Refusal(400, "the first line must be `old <size>` in decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refusal(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(lines[1:], start=1):
        try:
            digest = base64.b64decode(line, validate=True)
        except binascii.Error:
            digest = b""
        if len(digest) != merkle.HASH_SIZE or base64.b64encode(digest).decode() != line:
            raise Refusal(400, f"proof line {number} is not a base64 SHA-256 hash")
        proof.append(digest)
    return AddCheckpoint(int(match.group(1)), tuple(proof), signed_note)


def origin_key(origin: str) -> str:
    """How a log is named in the state directory and the monitoring URL."""
    return hashlib.sha256(origin.encode()).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old or the new file, whole."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must reach the disk before we answer
    finally:
        os.close(directory)


class Witness:
    """The witness's state and rules, apart from HTTP.

    `logs` maps each watched origin to the log's trusted verifier keys. The state directory
    holds, per origin, the last cosigned checkpoint: its text, the log's verified signatures
    and this witness's cosignature.
    """

    def __init__(
        self,
        signer: note.CosignatureSigner,
        logs: dict[str, Sequence[note.Verifier]],
        state_dir: Path,
    ):
        self.signer = signer
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # The spec asks for the check of `old` and the store of the new checkpoint to be one
        # step: a second request must not slip in between and roll the state back.
        self._lock = threading.Lock()

    def _path(self, origin: str) -> Path:
        return self.state_dir / f"{origin_key(origin)}.checkpoint"

    def latest(self, origin: str) -> bytes | None:
        """The stored checkpoint of `origin` with this witness's cosignature, if any."""
        try:
            return self._path(origin).read_bytes()
        except FileNotFoundError:
            return None

    def _stored(self, origin: str) -> note.Checkpoint | None:
        stored = self.latest(origin)
        if stored is None:
            return None
        # A damaged state file must stop the witness, never read as "nothing seen yet":
        # that would let the log roll back to any earlier view.
        text, _ = note.split_note(stored)
        checkpoint = note.Checkpoint.parse(text.decode())
        if checkpoint.origin != origin:
            raise RuntimeError(f"state file for {origin} holds a checkpoint of {checkpoint.origin}")
        return checkpoint

    def add_checkpoint(self, body: bytes) -> str:
        """Check and cosign an add-checkpoint request: the cosignature line(s), or Refusal."""
        request = parse_add_checkpoint(body)
        try:
            text, _ = note.split_note(request.signed_note)
            checkpoint = note.Checkpoint.parse(text.decode("utf-8"))
        except (note.NoteError, UnicodeDecodeError) as exc:
            raise Refusal(400, f"the checkpoint is malformed: {exc}") from None
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise Refusal(404, f"this witness does not watch {checkpoint.origin}")
        try:
            opened = note.open_note(request.signed_note, keys)
        except (note.UnverifiedNoteError, note.InvalidSignatureError) as exc:
            raise Refusal(403, f"the checkpoint is not signed by the log: {exc}") from None
        except note.NoteError as exc:
            raise Refusal(400, f"the checkpoint is malformed: {exc}") from None
        if request.old_size > checkpoint.size:
            raise Refusal(400, f"old size {request.old_size} is above size {checkpoint.size}")
        if checkpoint.size == 0 and checkpoint.root_hash != merkle.EMPTY_TREE_HASH:
            raise Refusal(422, "a tree of size 0 has the empty tree's root hash")

        with self._lock:
            stored = self._stored(checkpoint.origin)
            size = stored.size if stored else 0
            root = stored.root_hash if stored else merkle.EMPTY_TREE_HASH
            if request.old_size != size:
                raise Refusal(409, f"this witness is at size {size}", size=size)
            if checkpoint.size == size and checkpoint.root_hash != root:
                self._keep_evidence(checkpoint.origin, body)
                raise Refusal(409, f"a different root hash at size {size}: the log forked")
            try:
                merkle.verify_consistency(
                    size, checkpoint.size, request.proof, root, checkpoint.root_hash
                )
            except merkle.ProofError as exc:
                self._keep_evidence(checkpoint.origin, body)
                raise Refusal(422, f"the consistency proof fails: {exc}") from None
            line = note.cosign(request.signed_note, self.signer)
            # Keep only what verified: an unknown key's line could be anything.
            kept = text.decode() + "\n" + "".join(s.line() for s in opened.sigs) + line
            write_atomically(self._path(checkpoint.origin), kept.encode())
        logger.info("cosigned %s at size %d", checkpoint.origin, checkpoint.size)
        return line

    def _keep_evidence(self, origin: str, body: bytes) -> None:
        """A validly signed checkpoint that contradicts what we cosigned proves that the log
        misbehaved (the spec allows keeping it): save it for the operator to publish."""
        evidence = self.state_dir / "evidence"
        evidence.mkdir(exist_ok=True)
        name = f"{origin_key(origin)}-{time.time_ns()}.add-checkpoint"
        write_atomically(evidence / name, body)
        logger.warning("refused a checkpoint of %s contradicting the stored one: %s", origin, name)


# HTTP -------------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the spec recommends
    server_version = "trustlabel-witness"
    witness: Witness
    prefix = ""

    def _answer(self, status: int, body: str, content_type: str = "text/plain; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path != f"{self.prefix}/add-checkpoint":
            self._answer(404, "not found\n")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            self._answer(411, "a Content-Length is required\n")
            return
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._answer(413, f"the body may be at most {MAX_BODY} bytes\n")
            return
        body = self.rfile.read(length)
        try:
            line = self.witness.add_checkpoint(body)
        except Refusal as refusal:
            if refusal.size is not None:
                self._answer(refusal.status, f"{refusal.size}\n", SIZE_CONTENT_TYPE)
            else:
                self._answer(refusal.status, f"{refusal}\n")
            return
        except (OSError, ValueError, RuntimeError):
            logger.exception("cannot check or store the checkpoint")
            self._answer(500, "the witness cannot use its state; see its log\n")
            return
        self._answer(200, line)

    def do_GET(self):
        if self.path == f"{self.prefix}/add-checkpoint":
            self.send_response(405)
            self.send_header("Allow", "POST")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        for origin in self.witness.logs:
            if self.path == f"{self.prefix}/{origin_key(origin)}/checkpoint":
                stored = self.witness.latest(origin)
                if stored is not None:
                    self._answer(200, stored.decode())
                    return
        self._answer(404, "not found\n")

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)


def make_server(witness: Witness, host: str, port: int, prefix: str = ""):
    handler = type("WitnessHandler", (Handler,), {"witness": witness, "prefix": prefix})
    return http.server.ThreadingHTTPServer((host, port), handler)


@contextlib.contextmanager
def _only_witness(state_dir: Path):
    """One witness process a state directory: two would each think they hold the state."""
    try:
        import fcntl
    except ImportError:  # not on Unix: the operator must see to it
        yield
        return
    with open(state_dir / "lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another witness is running on {state_dir}") from None
        yield


# Configuration and the command --------------------------------------------------------


def read_logs(lines: Iterable[str]) -> dict[str, list[note.Verifier]]:
    """Logs from lines `<vkey>` or `<origin> <vkey>` (the origin defaults to the key's name);
    blank lines and lines starting with # are skipped. ValueError on a bad line."""
    logs: dict[str, list[note.Verifier]] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) > 2:
            raise ValueError(f"line {number}: expected `[origin] vkey`")
        try:
            key = note.verifier_from_vkey(fields[-1])
        except note.NoteError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
        if key.algorithm != note.ALG_ED25519:
            raise ValueError(f"line {number}: {key.name} is not a log's Ed25519 key")
        keys = logs.setdefault(fields[0] if len(fields) == 2 else key.name, [])
        if all(k.vkey != key.vkey for k in keys):
            keys.append(key)
    return logs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustlabel-witness",
        description="A C2SP tlog-witness: checks and cosigns the checkpoints of the logs "
        "it watches, and never cosigns two views of one log.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser(
        "generate-key",
        help="make a cosignature/v1 key: the private key goes to --out, the public key "
        "(to give to the logs and their verifiers) to standard output",
    )
    keygen.add_argument("name", help="the witness's name, for example witness.example.org")
    keygen.add_argument("--out", type=Path, required=True, help="file for the private key")
    serve = commands.add_parser("serve", help="answer add-checkpoint requests over HTTP")
    serve.add_argument("--key-file", type=Path, required=True, help="the private key file")
    serve.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="VKEY",
        help="a watched log's public key; the origin is the key's name (repeatable)",
    )
    serve.add_argument(
        "--logs-file",
        type=Path,
        help="watched logs, one a line: `[origin] vkey` (# comments)",
    )
    serve.add_argument(
        "--state-dir", type=Path, required=True, help="where the cosigned checkpoints are kept"
    )
    serve.add_argument(
        "--listen", default="127.0.0.1:7380", help="host:port (port 0: any free port)"
    )
    serve.add_argument("--prefix", default="", help="URL path prefix, for example /witness")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The trustlabel-witness command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "generate-key":
        skey, vkey = note.generate_key(args.name, note.ALG_COSIGNATURE_V1)
        descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(skey + "\n")
        print(vkey)
        return 0
    try:
        signer = note.CosignatureSigner.from_key(args.key_file.read_text().strip())
        lines = list(args.log)
        if args.logs_file is not None:
            lines += args.logs_file.read_text().splitlines()
        logs = read_logs(lines)
    except (OSError, ValueError) as exc:
        print(f"trustlabel-witness: {exc}", file=sys.stderr)
        return 1
    if not logs:
        print("trustlabel-witness: give the logs to watch (--log or --logs-file)", file=sys.stderr)
        return 1
    host, _, port = args.listen.rpartition(":")
    witness = Witness(signer, logs, args.state_dir)
    with _only_witness(witness.state_dir):
        server = make_server(witness, host or "127.0.0.1", int(port), args.prefix.rstrip("/"))
        bound_host, bound_port = server.server_address[:2]
        print(f"witness {signer.vkey}", flush=True)
        print(f"listening on http://{bound_host}:{bound_port}{args.prefix}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
