"""The public directory: the enterprises taking part in label programmes and their
products, found by name, programme, year, region and industry.

An enterprise takes part once one of its applications is approved; a product, once an
approved application covers it. Versions replaced by a revision stay approved, so they
still count and their history stays public; drafts, applications under review, rejected
and withdrawn ones never show.

Searches run on the search rows of `models.directory` (one per enterprise or product
listed), whose `terms` a full-text index holds: FTS5 on SQLite, GIN on PostgreSQL. A name
is indexed as its words (English, codes) and its two-character pieces of Chinese, so
格力 finds 珠海格力电器股份有限公司 with one index lookup; the filters are terms too
(`_p12` programme, `_y2026` year, `_r440000` a region and each division above it, `_ic`
industry C). Matching rows are then read in name order. Certificate validity changes with
the date, so "valid certificates only" is checked against the certificates at query time.
The actions that change what the directory shows call `refresh_enterprise`.
"""

import re
import time
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, OuterRef, Prefetch
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Product
from trustlabel.ledger.models import Entry
from trustlabel.ledger.records import subject_of
from trustlabel.regions import divisions

from .models import (
    Application,
    Certificate,
    CommitmentItem,
    CoveredProduct,
    DeclaredStandard,
    ListedEnterprise,
    ListedProduct,
    Member,
    Programme,
)

PER_PAGE = 20
# Pages past this many results are not served: narrowing the search is the way on.
MAX_RESULTS = 2000
APPROVED = Application.Status.APPROVED
CACHE_COUNTS_FROM = 5000
COUNT_SECONDS = 60
_GENERATION = "directory:generation"


@dataclass(frozen=True)
class Criteria:
    """What a visitor searches for; empty fields do not filter."""

    q: str = ""
    programme: Programme | None = None
    year: int | None = None
    region: str = ""  # a GB/T 2260 code of any level
    industry: str = ""
    valid_only: bool = False


# --- terms --------------------------------------------------------------------------------

_RUNS = re.compile(r"[^\W_]+")  # letters and digits
# Chinese, Japanese and Korean script (from CJK radicals on): no spaces between words.
_SCRIPTS = re.compile(r"[\u2e80-\U0003ffff]+|[^\u2e80-\U0003ffff]+")


def normalise(text: str) -> str:
    """As text is compared: full-width forms folded (Ａ１ -> a1), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _pieces(text: str):
    """(piece, is_cjk) for each run of letters and digits of one script."""
    for run in _RUNS.findall(normalise(text)):
        for piece in _SCRIPTS.findall(run):
            yield piece, piece >= "\u2e80"


def index_terms(*texts: str) -> list[str]:
    """A text's terms: its words, and for Chinese each two-character piece and the last
    character (so that every character begins some term)."""
    terms = []
    for text in texts:
        for piece, cjk in _pieces(text):
            if cjk:
                terms += [piece[i : i + 2] for i in range(len(piece) - 1)] + [piece[-1]]
            else:
                terms.append(piece)
    return terms


def query_terms(q: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """What a typed fragment must match: (term, is_prefix) pairs, and the Chinese pieces
    longer than two characters, whose pairs must also stand together in the text.
    Words match from their beginning (gre finds Gree, 0690123 the GTIN it begins); a
    code typed in groups (9144 0400 ...) is one word."""
    code = "".join(normalise(q).split())
    if code.isascii() and code.isalnum() and sum(c.isdigit() for c in code) >= 6:
        # A credit code or GTIN, perhaps typed in groups: one term.
        return [(code, True)], []
    terms, fragments = {}, []
    for piece, cjk in _pieces(q):
        if cjk and len(piece) > 1:
            terms.update({piece[i : i + 2]: False for i in range(len(piece) - 1)})
            if len(piece) > 2:
                fragments.append(piece)
        else:
            terms.setdefault(piece, True)
    return list(terms.items()), fragments


def tag(kind: str, value) -> str:
    """A filter's term; `_` never occurs in a word's terms."""
    return f"_{kind}{value}".lower()


def _region_tags(code: str | None) -> list[str]:
    return [tag("r", entry.code) for entry in divisions.chain(code)] if code else []


def _criteria_tags(criteria: Criteria) -> list[str]:
    tags = []
    if criteria.programme is not None:
        tags.append(tag("p", criteria.programme.pk))
    if criteria.year:
        tags.append(tag("y", criteria.year))
    if criteria.region:
        tags.append(tag("r", criteria.region))
    if criteria.industry:
        tags.append(tag("i", criteria.industry))
    return tags


# --- keeping the search rows --------------------------------------------------------------


@transaction.atomic
def refresh_enterprise(organisation_id: int) -> None:
    """Rewrite the search rows of an enterprise and its products from its approved
    applications and member record; removes them when nothing is approved."""
    # One refresh of an enterprise at a time: two would each delete, then insert the same.
    organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
    approved = list(
        Application.objects.filter(organisation_id=organisation_id, status=APPROVED)
        .select_related("programme")
        .prefetch_related("covered_products__product")
    )
    ListedProduct.objects.filter(organisation_id=organisation_id).delete()
    transaction.on_commit(lambda: cache.set(_GENERATION, time.monotonic_ns()))
    if not approved:
        ListedEnterprise.objects.filter(organisation_id=organisation_id).delete()
        return
    member = Member.objects.filter(organisation_id=organisation_id).first()
    maker = _region_tags(member.region_id if member else None)
    if member and member.industry:
        maker.append(tag("i", member.industry))
    uscc = member.uscc if member else ""
    programmes = _programme_tags(approved)
    ListedEnterprise.objects.update_or_create(
        organisation_id=organisation_id,
        defaults={
            "name": organisation.name,
            "search": normalise(" ".join((organisation.name, organisation.name_en, uscc))),
            "terms": _join(
                index_terms(organisation.name, organisation.name_en, uscc, uscc[8:17])
                + programmes
                + maker
            ),
        },
    )
    products, tags = {}, {}
    for application in approved:
        for covered in application.covered_products.all():
            products[covered.product_id] = covered.product
            tags.setdefault(covered.product_id, []).extend(_programme_tags([application]))
    ListedProduct.objects.bulk_create(
        ListedProduct(
            product=product,
            organisation_id=organisation_id,
            name=product.name,
            search=normalise(" ".join((product.name, product.name_en, product.gtin))),
            terms=_join(
                index_terms(
                    product.name, product.name_en, product.gtin, product.gtin.removeprefix("0")
                )
                + tags[pk]
                + maker
            ),
        )
        for pk, product in products.items()
    )


def refresh_all() -> None:
    """Rewrite every search row (after a change of how terms are made, or a bulk load)."""
    ListedProduct.objects.all().delete()
    ListedEnterprise.objects.all().delete()
    organisations = Application.objects.filter(status=APPROVED).values_list(
        "organisation_id", flat=True
    )
    for organisation_id in sorted(set(organisations)):
        refresh_enterprise(organisation_id)


def _programme_tags(applications) -> list[str]:
    return [t for a in applications for t in (tag("p", a.programme_id), tag("y", a.programme.year))]


def _join(terms: list[str]) -> str:
    # Deduplicated, non-empty: PostgreSQL's array_to_tsvector refuses empty terms.
    return " ".join(dict.fromkeys(t for t in terms if t))


# --- searching ----------------------------------------------------------------------------


def _fts_query(terms: list[tuple[str, bool]]) -> str:
    """The terms as a full-text query of the database (all of them; some as prefixes).
    Terms hold only letters, digits and `_`: nothing that needs quoting inside quotes."""
    if connection.vendor == "sqlite":
        return " AND ".join(f'"{term}"*' if prefix else f'"{term}"' for term, prefix in terms)
    return " & ".join(f"'{term}':*" if prefix else f"'{term}'" for term, prefix in terms)


def _matching(model, terms: list[tuple[str, bool]], walk: bool) -> RawSQL:
    """The rows whose terms hold every term. On SQLite, `walk` reads the rows in name
    order and keeps the matching ones (many matches); otherwise the matches are looked up
    and sorted (few)."""
    table, key = model._meta.db_table, model._meta.pk.column
    # Table and column names are the models' own; the query is a parameter.
    if connection.vendor == "sqlite":
        plus = "+" if walk else ""  # a unary plus keeps SQLite off the key's index
        fts = f'"{table}_fts"'
        sql = f'{plus}"{table}"."{key}" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)'  # noqa: S608
    else:
        sql = f'"{table}".terms_vector @@ CAST(%s AS tsquery)'  # see migration 0004
    return RawSQL(sql, [_fts_query(terms)], output_field=BooleanField())  # noqa: S611


def _count_terms(model, terms: list[tuple[str, bool]]) -> int:
    if connection.vendor != "sqlite":
        return model.objects.filter(_matching(model, terms, walk=False)).count()
    fts = f'"{model._meta.db_table}_fts"'
    with connection.cursor() as cursor:
        # Counted in the index alone, without reading the rows.
        sql = f"SELECT count(*) FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608
        cursor.execute(sql, [_fts_query(terms)])
        return cursor.fetchone()[0]


def _count_filters(model, tags: list[str], count) -> int:
    """The number of rows a search by filters alone matches. Counting many rows is most
    of such a search's cost (PostgreSQL visits each), so large counts are kept for a
    minute; a refresh in this process forgets them at once."""
    generation = cache.get_or_set(_GENERATION, 0)
    key = f"directory:{model._meta.model_name}:{generation}:{','.join(sorted(tags))}"
    total = cache.get(key)
    if total is None:
        total = count()
        if total >= CACHE_COUNTS_FROM:
            cache.set(key, total, COUNT_SECONDS)
    return total


class Found:
    """What a search matched, as the paginator takes it: counted once, read a page at a
    time in name order. A page's keys are read from the search rows alone, then their
    records (joined before sorting, PostgreSQL would join every match)."""

    def __init__(self, rows, total: int, records):
        self.rows, self.total, self.records = rows, total, records

    def count(self) -> int:
        return min(self.total, MAX_RESULTS)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        keys = list(self.rows.values_list("pk", flat=True)[index])
        records = self.records(keys)
        return [records[key] for key in keys]


def _search(model, criteria: Criteria, narrow=None) -> tuple:
    """The rows of `model` that match, and their number."""
    terms, fragments = query_terms(criteria.q)
    tags = _criteria_tags(criteria)
    terms += [(t, False) for t in tags]
    rows = model.objects.all()
    for fragment in fragments:
        rows = rows.filter(search__contains=fragment)
    if narrow is not None:
        rows = rows.filter(narrow)
    if not terms:
        return rows, rows.count() if narrow is not None else _count_filters(model, [], rows.count)
    if fragments or narrow is not None:
        total = rows.filter(_matching(model, terms, walk=False)).count()
    elif not criteria.q:
        total = _count_filters(model, tags, lambda: _count_terms(model, terms))
    else:
        total = _count_terms(model, terms)
    # On SQLite, reading in name order pays once more than one row in fifty matches
    # (PostgreSQL's planner weighs this itself, from the index's statistics).
    walk = connection.vendor == "sqlite" and total * 50 > model.objects.count()
    return rows.filter(_matching(model, terms, walk)), total


def _valid_certificate(criteria: Criteria):
    today = timezone.localdate()
    certificates = Certificate.objects.filter(
        Certificate.in_state(Certificate.State.VALID, today),
        organisation_id=OuterRef("organisation_id"),
    )
    if criteria.programme is not None:
        certificates = certificates.filter(programme=criteria.programme)
    if criteria.year:
        certificates = certificates.filter(programme__year=criteria.year)
    return Exists(certificates)


def enterprises(criteria: Criteria) -> Found:
    """The participating enterprises that match, in name order, as their Member rows."""
    narrow = _valid_certificate(criteria) if criteria.valid_only else None
    rows, total = _search(ListedEnterprise, criteria, narrow)
    return Found(rows.order_by("name", "organisation_id"), total, _members)


def _members(keys: list[int]) -> dict[int, Member]:
    members = Member.objects.select_related("organisation").filter(organisation_id__in=keys)
    found = {member.organisation_id: member for member in members}
    if len(found) < len(keys):  # not in the member register: shown all the same
        for organisation in Organisation.objects.filter(pk__in=set(keys) - found.keys()):
            found[organisation.pk] = Member(organisation=organisation)
    return found


def products(criteria: Criteria) -> Found:
    """The products in the directory that match, in name order."""
    rows, total = _search(ListedProduct, criteria)
    return Found(
        rows.order_by("name", "product_id"),
        total,
        Product.objects.select_related("organisation__member").in_bulk,
    )


def page_of(found: Found, number) -> Page:
    return Paginator(found, PER_PAGE).get_page(number)


def add_listings(members) -> None:
    """Give each member of a page its current approved applications (`listings`), each
    with its programme and certificate, in one query for the whole page."""
    members = list(members)
    current = (
        Application.objects.filter(
            organisation_id__in=[m.organisation_id for m in members],
            status=APPROVED,
            superseded_at__isnull=True,
        )
        .select_related("programme", "certificate")
        .order_by("-programme__year", "programme__code")
    )
    by_organisation = {}
    for application in current:
        by_organisation.setdefault(application.organisation_id, []).append(application)
    for member in members:
        member.listings = by_organisation.get(member.organisation_id, [])


def add_coverings(products) -> None:
    """Give each product of a page the approved applications that cover it (`listings`),
    each with its programme and certificate, in one query for the whole page."""
    products = list(products)
    covered = (
        CoveredProduct.objects.filter(
            product_id__in=[p.pk for p in products], application__status=APPROVED
        )
        .select_related("application__programme", "application__certificate")
        .order_by("-application__programme__year", "application__programme__code")
    )
    by_product = {}
    for row in covered:
        by_product.setdefault(row.product_id, []).append(row.application)
    for product in products:
        product.listings = by_product.get(product.pk, [])


# --- an enterprise's and a product's public pages ------------------------------------------

_ITEM_ORDER = {value: i for i, value in enumerate(CommitmentItem.values)}


def _standards():
    return Prefetch(
        "standards", DeclaredStandard.objects.prefetch_related("indicators").order_by("pk")
    )


def ledger_entries(applications) -> dict[int, Entry]:
    """The ledger entry of each application's approval (`records.entry_of`, for all of
    them in one query)."""
    subjects = {subject_of(a): a.pk for a in applications}
    entries = Entry.objects.filter(kind="commitment", subject__in=subjects)
    return {subjects[entry.subject]: entry for entry in entries}


def enterprise(pk: int) -> tuple[Member, list[dict]]:
    """A participating enterprise (by its organisation's key) and, per programme (newest
    first), its approved versions (newest first) with their content; Http404 for any
    other organisation."""
    organisation = Organisation.objects.filter(pk=pk, kind=Organisation.Kind.ENTERPRISE).first()
    if organisation is None:
        raise Http404
    member = Member.objects.filter(organisation=organisation).first() or Member(
        organisation=organisation
    )
    approved = list(
        Application.objects.filter(organisation=organisation, status=APPROVED)
        .select_related("programme", "certificate")
        .prefetch_related(
            "statements",
            "service_promises",
            Prefetch(
                "covered_products",
                CoveredProduct.objects.select_related("product")
                .prefetch_related(_standards())
                .order_by("product__name", "pk"),
            ),
        )
        .order_by("-programme__year", "programme__code", "-version")
    )
    if not approved:
        raise Http404
    entries = ledger_entries(approved)
    programmes = {}
    for application in approved:
        application.ledger_entry = entries.get(application.pk)
        application.statement_list = sorted(
            application.statements.all(), key=lambda s: _ITEM_ORDER.get(s.item, 99)
        )
        programmes.setdefault(application.programme_id, []).append(application)
    return member, [
        {"programme": versions[0].programme, "current": versions[0], "versions": versions}
        for versions in programmes.values()
    ]


def product(pk: int) -> tuple[Product, list[CoveredProduct]]:
    """A product an approved application covers, with each such covering (newest
    programme first) and its declared standards; Http404 for any other product."""
    found = Product.objects.select_related("organisation__member").filter(pk=pk).first()
    if found is None:
        raise Http404
    coverings = list(
        CoveredProduct.objects.filter(product=found, application__status=APPROVED)
        .select_related("application__programme", "application__certificate")
        .prefetch_related(_standards())
        .order_by("-application__programme__year", "application__programme__code", "-pk")
    )
    if not coverings:
        raise Http404
    return found, coverings


def certificate_of(application: Application) -> Certificate | None:
    try:
        return application.certificate
    except Certificate.DoesNotExist:
        return None
