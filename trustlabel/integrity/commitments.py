"""An application's commitment as one canonical document: what is hashed into the ledger
at approval. The directory serves it as these bytes (`directory:commitment`), so anyone
can hash them and compare with the ledger's record; the files it names appear only by
their SHA-256."""

import hashlib

from trustlabel.ledger.actions import canonical_bytes

from .models import Application

# Bumped whenever the document's shape changes; old hashes stay checkable by version.
DOCUMENT_VERSION = 1


def commitment_document(application: Application) -> dict:
    """Everything the enterprise promised in this application, in a fixed order."""
    return {
        "v": DOCUMENT_VERSION,
        "application": application.pk,
        "programme": application.programme.code,
        "enterprise": application.organisation_id,
        "version": application.version,
        "revises": application.revises_id,
        "statements": [
            {"item": s.item, "how": s.how} for s in application.statements.order_by("item")
        ],
        "service": [{"topic": p.topic, "text": p.text} for p in application.service_promises.all()],
        "service_note": application.service_note,
        "products": [
            {
                "gtin": covered.product.gtin,
                "standards": [
                    {
                        "kind": s.kind,
                        "number": s.number,
                        "name": s.name,
                        "status": s.status,
                        "text_sha256": s.text_sha256,
                        "indicators": [
                            [i.name, i.value, i.unit, i.test_method] for i in s.indicators.all()
                        ],
                    }
                    for s in covered.standards.all()
                ],
            }
            for covered in application.covered_products.select_related("product")
            .prefetch_related("standards__indicators")
            .order_by("product__gtin")
        ],
        "documents": sorted(d.sha256 for d in application.documents.all()),
    }


def commitment_bytes(application: Application) -> bytes:
    """The document as the directory serves it and the ledger hashes it."""
    return canonical_bytes(commitment_document(application))


def commitment_sha256(application: Application) -> str:
    return hashlib.sha256(commitment_bytes(application)).hexdigest()
