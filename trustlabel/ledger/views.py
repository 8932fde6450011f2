"""The log over HTTP, in the standard forms: the checkpoint (C2SP tlog-checkpoint, signed
note), tiles (C2SP tlog-tiles), the public key, and for any entry its record and a proof
bundle (C2SP tlog-proof) that a verifier can check offline.

All public: the log is for anyone to check. Tiles never change once full, so they may be
cached for ever; everything is served from stored hashes, never recomputed."""

import base64
import functools

from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from . import merkle
from .actions import log_size, read_hashes
from .keys import LedgerNotConfigured, signer
from .models import Checkpoint, Entry
from .proofbundle import ProofBundle

TEXT = "text/plain; charset=utf-8"
# Proofs are computed per request: a stranger may ask often, not endlessly. Tiles and the
# checkpoint are plain reads meant to be cached by anyone in between.
PROOFS_PER_CLIENT = Limit("ledger-ip", 600, 60)
IMMUTABLE = "public, max-age=31536000, immutable"


def _text(body: str | bytes, cache: str = "no-cache", **headers) -> HttpResponse:
    response = HttpResponse(body, content_type=TEXT)
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"  # any monitor or verifier may read it
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _latest() -> Checkpoint:
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None:
        raise Http404(_("The ledger has no checkpoint yet."))
    return checkpoint


def _latest_size_and_note() -> tuple[int, str] | None:
    """The latest checkpoint's size and note, for every proof: one plain statement (building
    it through the ORM costs three times as long as running it)."""
    table = Checkpoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT size, note FROM {table} ORDER BY size DESC LIMIT 1")  # noqa: S608
        return cursor.fetchone()


@require_GET
def checkpoint(request):
    return _text(_latest().note)


@require_GET
def key(request):
    """The log's public key (signed-note vkey): pin it to check checkpoints and proofs."""
    try:
        return _text(signer().vkey + "\n", cache="public, max-age=86400")
    except LedgerNotConfigured:
        raise Http404(_("The ledger is not configured on this server.")) from None


@require_GET
def tile(request, path: str):
    try:
        wanted = merkle.parse_tile_path(f"tile/{path}")
    except ValueError:
        raise Http404(_("No such tile.")) from None
    size = log_size()
    try:
        there = merkle.tile_in_tree(max(wanted.level, 0), wanted.index, size)
    except ValueError:
        raise Http404(_("No such tile.")) from None
    if there.width < wanted.width:
        raise Http404(_("No such tile."))
    if wanted.level == merkle.ENTRIES_LEVEL:
        first = wanted.index * merkle.TILE_WIDTH
        rows = Entry.objects.filter(index__gte=first, index__lt=first + wanted.width)
        data = b"".join(
            len(d).to_bytes(2, "big") + bytes(d)
            for d in rows.order_by("index").values_list("data", flat=True)
        )
    else:
        data = merkle.read_tile_data(wanted, read_hashes)
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = IMMUTABLE if wanted.is_full else "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def limited(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        wait = check_limits([(PROOFS_PER_CLIENT, client_ip(request))], timezone.now())
        if wait is not None:
            response = JsonResponse(
                {"detail": _("Too many requests: try again shortly.")}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@limited
def entry(request, index: int):
    """An entry's record, as it was hashed into the log."""
    found = get_object_or_404(Entry, index=index)
    response = HttpResponse(bytes(found.data), content_type="application/json")
    response["Cache-Control"] = IMMUTABLE
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@limited
def proof(request, index: int):
    """A tlog-proof bundle for the entry at `index`, at the latest checkpoint."""
    latest = _latest_size_and_note()
    # An entry gets its index in the transaction that signs the checkpoint over it, so
    # every index below the latest size is an entry's: only the refusals look it up.
    if latest is None or index >= latest[0]:
        get_object_or_404(Entry, index=index)
        _latest()
        raise Http404(_("This entry is not under a signed checkpoint yet: try again shortly."))
    size, note = latest
    hashes = merkle.inclusion_proof(size, index, read_hashes)
    bundle = ProofBundle(index, tuple(hashes), note.encode())
    return _text(
        bundle.format(),
        Content_Disposition=f'attachment; filename="trustlabel-{index}.tlog-proof"',
    )


@require_GET
@limited
def consistency(request):
    """The consistency proof between two tree sizes (`old`, `new`), base64 hashes."""
    try:
        old, new = int(request.GET["old"]), int(request.GET["new"])
    except (KeyError, ValueError):
        return JsonResponse({"detail": _("Give old and new, two tree sizes.")}, status=400)
    size = log_size()
    if not 0 <= old <= new <= size:
        return JsonResponse(
            {"detail": _("The sizes must satisfy 0 ≤ old ≤ new ≤ %(size)d.") % {"size": size}},
            status=400,
        )
    hashes = merkle.consistency_proof(old, new, read_hashes)
    return JsonResponse(
        {"old": old, "new": new, "proof": [merkle_b64(h) for h in hashes]},
        headers={"Access-Control-Allow-Origin": "*"},
    )


def merkle_b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
