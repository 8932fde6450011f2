"""The public directory's searches with 10,000 enterprises and 200,000 products.

    .venv/bin/python bench/directory.py [--db sqlite|postgres|both] [--requests 1000] [--rebuild]

For each database (both by default: SQLite in a file, PostgreSQL's `trustlabel_bench_directory`
at 127.0.0.1:5432 as in the CI), in a process of its own, it builds the data once and reuses
it while it is complete (`--rebuild` makes it again, about two minutes a database): the
project's schema (`migrate`, which loads the GB/T 2260 divisions), then by bulk inserts
10,000 enterprises with their member records (a region spread over the real divisions,
weighted to the provinces with the most manufacturers, an industry of GB/T 4754, a valid
unified social credit code), eight programmes over three years, and for 92% of the
enterprises one to three approved applications (15% of them revised: version 1 replaced by
an approved version 2) with their commitment items, service promises, covered products,
declared standards, indicator tables, certificates (the 2024 ones expired, 2% revoked, the
replaced ones superseded) and ledger entries; the other 8% have only a draft, submitted,
in-review, rejected or withdrawn application. 200,000 products are covered by approved
applications; the non-participating enterprises have a few more that must not show.
Names are made from real place names, brand syllables and trades (one enterprise is
珠海格力电器股份有限公司).

Then, through Django's test client (routing, middleware, the rate limit's upsert, the view,
the templates; each request from its own client address), it times `--requests` searches
drawn from a fixed mix (Chinese name fragments, English and credit code fragments, a
province, a city or county, programme and year, industry, valid certificates only, product
names and GTINs, later pages), each followed by the baseline: the directory's unfiltered
first page. A tenth as many requests warm up first. It prints p50/p95/p99/max per kind and
overall, and writes docs/benchmarks.md's '## Public directory' section (unless --no-doc).
"""

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdb
from benchdoc import write_section

HEADING = "## Public directory"
PG_NAME = "trustlabel_bench_directory"
SQLITE_DIR = Path(tempfile.gettempdir()) / "trustlabel-bench-directory"
GOAL_MS = 100
ENTERPRISES = 10_000
PRODUCTS = 200_000
PARTICIPATING = 0.92
REVISED = 0.15
REVOKED = 0.02
SEED = 20261121
BATCH = 5000

# (trade, English, GB/T 4754 section, products (Chinese, English), a national standard)
TRADES = [
    ("电器", "Electric Appliances", "C",
     [("变频空调", "Inverter air conditioner"), ("冰箱", "Refrigerator"),
      ("洗衣机", "Washing machine"), ("电饭煲", "Rice cooker"), ("热水器", "Water heater")],
     ("GB/T 7725-2022", "房间空气调节器")),
    ("食品", "Foods", "C",
     [("饼干", "Biscuits"), ("速冻水饺", "Frozen dumplings"), ("酱油", "Soy sauce"),
      ("挂面", "Dried noodles")],
     ("GB 7099-2015", "食品安全国家标准 糕点、面包")),
    ("乳业", "Dairy", "C",
     [("纯牛奶", "Whole milk"), ("酸奶", "Yoghurt"), ("奶粉", "Milk powder")],
     ("GB 25190-2010", "食品安全国家标准 灭菌乳")),
    ("纺织", "Textiles", "C",
     [("纯棉毛巾", "Cotton towel"), ("床单", "Bed sheet"), ("衬衫", "Shirt")],
     ("GB/T 22864-2009", "毛巾")),
    ("家具", "Furniture", "C",
     [("实木餐桌", "Solid wood table"), ("办公椅", "Office chair"), ("衣柜", "Wardrobe")],
     ("GB/T 3324-2017", "木家具通用技术条件")),
    ("建材", "Building Materials", "C",
     [("瓷砖", "Ceramic tile"), ("内墙涂料", "Interior paint"),
      ("防水卷材", "Waterproof membrane")],
     ("GB/T 4100-2015", "陶瓷砖")),
    ("电子", "Electronics", "C",
     [("充电器", "Charger"), ("移动电源", "Power bank"), ("蓝牙耳机", "Bluetooth earphones")],
     ("GB 4943.1-2022", "音视频、信息技术和通信技术设备 第1部分：安全要求")),
    ("农业", "Agriculture", "A",
     [("有机蔬菜", "Organic vegetables"), ("绿茶", "Green tea"), ("柑橘", "Citrus")],
     ("GB/T 19630-2019", "有机产品 生产、加工、标识与管理体系要求")),
    ("商贸", "Trading", "F",
     [("食用油", "Cooking oil"), ("大米", "Rice")],
     ("GB/T 1354-2018", "大米")),
    ("科技", "Technology", "I",
     [("智能门锁", "Smart lock"), ("路由器", "Router")],
     ("GB/T 39272-2020", "智能门锁")),
    ("燃气具", "Gas Appliances", "D",
     [("燃气灶", "Gas stove"), ("壁挂炉", "Wall-hung boiler")],
     ("GB 16410-2020", "家用燃气灶具")),
]  # fmt: skip
BRAND = "华美金新宏达通利恒泰康盛源兴隆安鑫海天宇丰瑞佳正凯亚中东南北光明创嘉德信永福润春和美"
LATIN = ["Hua", "Mei", "Jin", "Xin", "Hong", "Da", "Tong", "Li", "Heng", "Tai", "Kang", "Sheng"]
SUFFIXES = [("股份有限公司", "Co., Ltd."), ("有限公司", "Co., Ltd."), ("集团有限公司", "Group")]
BUSY_PROVINCES = ["44", "33", "32", "37", "35", "41"]  # most manufacturers
# Programmes: (code, kind, name, English name, year)
PROGRAMMES = [
    (f"{prefix}-{year}", kind, f"{year}年{name}", f"{english} {year}", year)
    for year in (2024, 2025, 2026)
    for prefix, kind, name, english in (
        ("315", "consumer_rights", "“3·15”质量诚信承诺活动", "3.15 quality-integrity commitment"),
        ("qm", "quality_month", "质量月活动", "Quality Month"),
        ("sq", "stable_qualified", "全国产品和服务质量诚信示范", "Quality-integrity model"),
    )
    if not (prefix == "sq" and year == 2024)
]
NOTES = """\
How it got here (same data, this session, under a load average of 4 to 6 from other work
on the machine). Deriving the results at query time, with plain `icontains` and an EXISTS
on an approved application, took SQLite 500 ms for the products' unfiltered first page
(an EXISTS probe for each of 200,000 products, then a sort of all of them) and 70 to 80 ms
for an enterprise name fragment; a narrow copy of the products scanned with LIKE still took
50 to 150 ms on SQLite, where LIKE and `instr` cost 0.3 to 0.7 µs a row. Trigram indexes
(SQLite FTS5's trigram tokenizer, pg_trgm) cannot serve a two-character fragment such as
格力, the commonest Chinese search.

So the directory keeps one search row per listed enterprise and product
(`integrity/models/directory.py`), rewritten by `directory.refresh_enterprise` when an
approval or the member register changes, whose terms are the name's words, each pair of
adjacent Chinese characters (and the last character, so a single character is a prefix
query), the codes, and tags for programme, year, every division above the seat, and
industry. The terms are indexed by FTS5 (`ascii` tokenizer, `detail=none`) on SQLite and by
a GIN index on a stored `array_to_tsvector` column on PostgreSQL (no parser, so no
dependence on the server's locale). A search is one index lookup; fragments of three or
more Chinese characters are checked for adjacency on the candidates. Results are read in
name order: on SQLite the matches are sorted when few, and the name index is walked when
more than one row in fifty matches (a unary plus keeps the planner off the key's index);
PostgreSQL chooses from the index statistics. A page's keys are read first and their
records after, since PostgreSQL otherwise joined every match before sorting. Certificate
validity depends on the date, so "valid certificates only" is an EXISTS on the certificates
at query time. Counts come from the FTS index on SQLite; counts of 5,000 rows or more for a
search by filters alone are kept for a minute (PostgreSQL visits every row to count: 60 ms
for manufacturing's 127,000 products). The query time left is a few milliseconds; most of a
request is Django rendering the form's selects and the results, which the baseline shares.
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup_django(database: str) -> None:
    var = SQLITE_DIR if database == "sqlite" else Path(tempfile.mkdtemp(prefix="tl-bench-dir-"))
    Path(var, "static").mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = benchdb.database_url(PG_NAME)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="trustlabel.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_hex(32),
        TRUSTLABEL_MASTER_KEY=secrets.token_hex(32),
        TRUSTLABEL_VAR_DIR=str(var),
        TRUSTLABEL_LEDGER_KEY=benchdb.new_ledger_key(),
        LOG_LEVEL="WARNING",
    )
    benchdb.start_django()


# --------------------------------------------------------------------- the data


def gtin(enterprise: int, item: int) -> str:
    from stdnum import ean

    body = f"69{enterprise:05d}{item:05d}"
    return "0" + body + ean.calc_check_digit(body)


def uscc_of(region: str, n: int) -> str:
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    rng = random.Random(n)
    body = "91" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def regions(rng: random.Random, count: int) -> list[str]:
    """Division codes for the enterprises' seats: mostly counties, some cities, weighted
    to the busy provinces."""
    from trustlabel.regions import divisions

    counties = [e for e in divisions.read_csv() if e.level == 3]
    cities = [e for e in divisions.read_csv() if e.level == 2]
    busy = [e for e in counties if e.code[:2] in BUSY_PROVINCES]
    picked = []
    for _ in range(count):
        roll = rng.random()
        pool = busy if roll < 0.45 else cities if roll < 0.55 else counties
        picked.append(rng.choice(pool).code)
    return picked


def city_name(code: str) -> tuple[str, str]:
    """The name a firm takes from its seat: its prefecture's, else its own."""
    from trustlabel.regions import divisions

    entry = divisions.get(code)
    if entry.level == 3 and entry.parent and divisions.get(entry.parent).level == 2:
        entry = divisions.get(entry.parent)
    zh = entry.name
    for suffix in ("市", "地区", "自治州", "盟", "区", "县"):
        if zh.endswith(suffix) and len(zh) > len(suffix) + 1:
            zh = zh.removesuffix(suffix)
            break
    return zh, entry.name_en.split(" ")[0]


def enterprises_plan(rng: random.Random) -> list[dict]:
    """Who the enterprises are: name, seat, trade, and what they applied for."""
    seats = regions(rng, ENTERPRISES)
    names, plan = set(), []
    gree = {
        "name": "珠海格力电器股份有限公司",
        "name_en": "Gree Electric Appliances, Inc. of Zhuhai",
        "region": "440402",
        "trade": 0,
    }
    names.add(gree["name"])
    plan.append(gree)
    while len(plan) < ENTERPRISES:
        seat = seats[len(plan)]
        trade = rng.randrange(len(TRADES))
        brand = rng.choice(BRAND) + rng.choice(BRAND)
        suffix, suffix_en = rng.choice(SUFFIXES)
        city, city_en = city_name(seat)
        name = f"{city}{brand}{TRADES[trade][0]}{suffix}"
        if name in names:
            continue
        names.add(name)
        latin = rng.choice(LATIN) + rng.choice(LATIN).lower()
        plan.append(
            {
                "name": name,
                "name_en": f"{city_en} {latin} {TRADES[trade][1]} {suffix_en}",
                "region": seat,
                "trade": trade,
            }
        )
    participating = int(ENTERPRISES * PARTICIPATING)
    order = list(range(1, ENTERPRISES))
    rng.shuffle(order)
    outsiders = set(order[: ENTERPRISES - participating])
    # Products: 200,000 among the participants, 3 more each for the others.
    counts = [rng.randint(5, 35) for _ in range(participating)]
    scale = PRODUCTS / sum(counts)
    counts = [max(1, round(c * scale)) for c in counts]
    step = 1 if sum(counts) < PRODUCTS else -1
    while sum(counts) != PRODUCTS:
        i = rng.randrange(len(counts))
        if counts[i] + step > 0:
            counts[i] += step
    counts_iter = iter(counts)
    for i, firm in enumerate(plan):
        firm["participates"] = i not in outsiders
        firm["products"] = next(counts_iter) if firm["participates"] else 3
        firm["programmes"] = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
    return plan


def build(database: str) -> dict:
    """Fill the database; returns the build's timings."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from trustlabel.accounts.models import Organisation
    from trustlabel.catalog.models import Product
    from trustlabel.integrity import directory
    from trustlabel.integrity.models import (
        Application,
        Certificate,
        CommitmentItem,
        CommitmentStatement,
        CoveredProduct,
        DeclaredStandard,
        Indicator,
        Member,
        Programme,
        ServicePromise,
    )
    from trustlabel.ledger.models import Entry

    if database == "postgres":
        connection.close()
        benchdb.recreate_database(PG_NAME)
    else:
        for path in SQLITE_DIR.glob("trustlabel.sqlite3*"):
            path.unlink()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings = {"migrate": time.perf_counter() - started}
    started = time.perf_counter()
    rng = random.Random(SEED)
    plan = enterprises_plan(rng)
    now = timezone.now()
    import datetime as dt

    def bulk(model, rows):
        return model.objects.bulk_create(rows, batch_size=BATCH)

    with transaction.atomic():
        programmes = bulk(
            Programme,
            [
                Programme(
                    code=code,
                    name=name,
                    name_en=english,
                    kind=kind,
                    year=year,
                    requirements="质量诚信承诺书、标准自我声明、营业执照",
                    opens_on=dt.date(year, 1, 10),
                    closes_on=dt.date(year, 6, 30),
                    valid_until=dt.date(year + 1, 12, 31),
                )
                for code, kind, name, english, year in PROGRAMMES
            ],
        )
        organisations = bulk(
            Organisation,
            [Organisation(kind="enterprise", name=f["name"], name_en=f["name_en"]) for f in plan],
        )
        bulk(
            Member,
            [
                Member(
                    organisation=org,
                    uscc=uscc_of(firm["region"], i),
                    region_id=firm["region"],
                    industry=TRADES[firm["trade"]][2],
                    status=rng.choices(["active", "suspended", "lapsed"], [94, 3, 3])[0],
                    joined_on=dt.date(2018 + i % 7, 1 + i % 12, 1 + i % 28),
                )
                for i, (org, firm) in enumerate(zip(organisations, plan, strict=True))
            ],
        )
        products = []
        for i, (org, firm) in enumerate(zip(organisations, plan, strict=True)):
            trade = TRADES[firm["trade"]]
            brand = firm["name"][len(city_name(firm["region"])[0]) :][:2]
            for j in range(firm["products"]):
                zh, en = trade[3][j % len(trade[3])]
                model = f"{chr(65 + j % 26)}{100 + j}"
                products.append(
                    Product(
                        organisation=org,
                        gtin=gtin(i, j),
                        name=f"{brand}{zh} {model}",
                        name_en=f"{en} {model}",
                        specification=f"型号 {model}",
                        standard_number=trade[4][0],
                        standard_name=trade[4][1],
                    )
                )
        products = bulk(Product, products)
        by_org = {}
        for product in products:
            by_org.setdefault(product.organisation_id, []).append(product)
        timings["enterprises and products"] = time.perf_counter() - started
        started = time.perf_counter()

        # Applications: per participant, 1-3 programmes; some revised.
        applications, coverage, revisions = [], [], []
        for org, firm in zip(organisations, plan, strict=True):
            mine = by_org[org.pk]
            if not firm["participates"]:
                status = rng.choice(["draft", "submitted", "in_review", "rejected", "withdrawn"])
                applications.append(
                    Application(programme=programmes[-1], organisation=org, status=status)
                )
                coverage.append(mine)
                continue
            chosen = rng.sample(programmes, firm["programmes"])
            if org.name == "珠海格力电器股份有限公司":
                chosen = programmes[-2:]
            for k, programme in enumerate(chosen):
                covered = [
                    p
                    for j, p in enumerate(mine)
                    if j % len(chosen) == k or (len(chosen) > 1 and rng.random() < 0.3)
                ]
                approved_at = dt.datetime.combine(
                    programme.closes_on - dt.timedelta(days=rng.randrange(60)),
                    dt.time(10),
                    tzinfo=dt.UTC,
                )
                applications.append(
                    Application(
                        programme=programme,
                        organisation=org,
                        status="approved",
                        approved_at=approved_at,
                        submitted_at=approved_at - dt.timedelta(days=7),
                        content_sha256=secrets.token_hex(32),
                        service_note="全国联保",
                    )
                )
                coverage.append(covered)
                if rng.random() < REVISED:
                    revisions.append((len(applications) - 1, approved_at))
        applications = bulk(Application, applications)
        # Version 2 of the revised ones: version 1 is replaced.
        v2 = []
        for index, approved_at in revisions:
            first = applications[index]
            later = approved_at + dt.timedelta(days=90)
            v2.append(
                Application(
                    programme_id=first.programme_id,
                    organisation_id=first.organisation_id,
                    status="approved",
                    version=2,
                    revises=first,
                    approved_at=later,
                    submitted_at=later - dt.timedelta(days=5),
                    content_sha256=secrets.token_hex(32),
                    service_note="全国联保，上门服务",
                )
            )
            first.superseded_at = later
        Application.objects.bulk_update(
            [applications[i] for i, _ in revisions], ["superseded_at"], batch_size=BATCH
        )
        v2 = bulk(Application, v2)
        coverage += [coverage[i] for i, _ in revisions]
        applications += v2
        timings["applications"] = time.perf_counter() - started
        started = time.perf_counter()

        statements, promises, covered_rows = [], [], []
        for application, covered in zip(applications, coverage, strict=True):
            for item in CommitmentItem:
                statements.append(
                    CommitmentStatement(
                        application=application, item=item.value, how=f"我们如何做到：{item.label}"
                    )
                )
            promises.append(
                ServicePromise(application=application, topic="response_time", text="24小时内响应")
            )
            promises.append(
                ServicePromise(application=application, topic="warranty", text="整机保修六年")
            )
            covered_rows += [CoveredProduct(application=application, product=p) for p in covered]
        bulk(CommitmentStatement, statements)
        bulk(ServicePromise, promises)
        covered_rows = bulk(CoveredProduct, covered_rows)
        trade_of = {org.pk: TRADES[f["trade"]] for org, f in zip(organisations, plan, strict=True)}
        product_org = {p.pk: p.organisation_id for p in products}
        standards = []
        for row in covered_rows:
            number, name = trade_of[product_org[row.product_id]][4]
            standards.append(
                DeclaredStandard(covered=row, kind="national", number=number, name=name)
            )
            if row.pk % 10 < 3:
                standards.append(
                    DeclaredStandard(
                        covered=row, kind="enterprise", number="Q/BENCH 001-2024", name="企业标准"
                    )
                )
        standards = bulk(DeclaredStandard, standards)
        bulk(
            Indicator,
            [
                Indicator(
                    standard=s, name=name, value=value, unit=unit, test_method=method, position=i
                )
                for s in standards
                if s.kind == "enterprise"
                for i, (name, value, unit, method) in enumerate(
                    [
                        ("能效比", "≥4.5", "W/W", "GB/T 7725"),
                        ("噪声", "≤38", "dB(A)", "GB/T 4214.1"),
                    ]
                )
            ],
        )
        timings["content"] = time.perf_counter() - started
        started = time.perf_counter()

        approved = [a for a in applications if a.status == "approved"]
        sequence = {}
        certificates = []
        for application in approved:
            programme = next(p for p in programmes if p.pk == application.programme_id)
            sequence[programme.pk] = sequence.get(programme.pk, 0) + 1
            revoked = rng.random() < REVOKED
            certificates.append(
                Certificate(
                    number=f"{programme.code.upper()}-{sequence[programme.pk]:05d}",
                    application=application,
                    organisation_id=application.organisation_id,
                    programme=programme,
                    issued_at=application.approved_at,
                    valid_from=application.approved_at.date(),
                    valid_until=programme.valid_until,
                    revoked_at=now if revoked else None,
                    revocation_reason="抽检不合格" if revoked else "",
                )
            )
        certificates = bulk(Certificate, certificates)
        by_application = {c.application_id: c for c in certificates}
        replaced = []
        for application in v2:
            old = by_application[application.revises_id]
            old.superseded_by = by_application[application.pk]
            replaced.append(old)
        Certificate.objects.bulk_update(replaced, ["superseded_by"], batch_size=BATCH)
        bulk(
            Entry,
            [
                Entry(
                    kind="commitment",
                    subject=f"integrity.application:{a.pk}",
                    data=json.dumps({"application": a.pk, "sha256": a.content_sha256}).encode(),
                    index=i,
                    integrated_at=now,
                )
                for i, a in enumerate(approved)
            ],
        )
        timings["certificates and ledger entries"] = time.perf_counter() - started
    started = time.perf_counter()
    directory.refresh_all()
    timings["search rows (directory.refresh_all)"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if database == "sqlite" else "VACUUM ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    return timings


def counts() -> dict:
    from trustlabel.accounts.models import Organisation
    from trustlabel.catalog.models import Product
    from trustlabel.integrity import directory
    from trustlabel.integrity.models import Application, Certificate, CoveredProduct

    return {
        "enterprises": Organisation.objects.filter(kind="enterprise").count(),
        "participating": directory.enterprises(directory.Criteria()).total,
        "products": Product.objects.count(),
        "listed products": directory.products(directory.Criteria()).total,
        "approved applications": Application.objects.filter(status="approved").count(),
        "covered products": CoveredProduct.objects.count(),
        "certificates": Certificate.objects.count(),
    }


def complete() -> bool:
    try:
        from trustlabel.catalog.models import Product
        from trustlabel.integrity.models import ListedProduct
        from trustlabel.ledger.models import Entry

        return (
            Product.objects.count() >= PRODUCTS
            and Entry.objects.exists()
            and ListedProduct.objects.count() >= PRODUCTS
        )
    except Exception:  # no schema yet: build it
        return False


# --------------------------------------------------------------------- the searches


def mix(rng: random.Random) -> list[tuple[str, str]]:
    """(kind, URL) of the searches, in a fixed random order."""
    from trustlabel.catalog.models import Product
    from trustlabel.integrity.models import Member, Programme
    from trustlabel.regions import divisions

    members = list(Member.objects.select_related("organisation").order_by("pk"))
    products = list(Product.objects.order_by("pk").values_list("name", "gtin"))
    programmes = list(Programme.objects.values_list("pk", "year"))
    fragments = [
        m.organisation.name[i : i + 2] for m in rng.sample(members, 200) for i in (0, 2, 4)
    ]
    fragments += ["格力"] * 10
    english = [m.organisation.name_en.split(" ")[1][:4].lower() for m in rng.sample(members, 50)]
    credit = [m.uscc[:8] for m in rng.sample(members, 30)] + [
        m.uscc[-6:] for m in rng.sample(members, 30)
    ]
    provinces = [e.code for e in divisions.children(None)]
    seats = [m.region_id for m in rng.sample(members, 100)]
    cities = [divisions.get(c).parent or c for c in seats]
    words = [zh for trade in TRADES for zh, _ in trade[3]]
    product_fragments = [rng.choice(words) for _ in range(100)] + [
        name.split(" ")[0][:3] for name, _ in rng.sample(products, 100)
    ]
    gtins = [g for _, g in rng.sample(products, 60)] + [g[:9] for _, g in rng.sample(products, 20)]
    industries = ["C", "A", "F", "I", "D"]

    def programme_year():
        pk, year = rng.choice(programmes)
        return f"programme={pk}&year={year}"

    kinds = [
        (
            "enterprises: Chinese name fragment",
            20,
            lambda: f"/integrity/?q={rng.choice(fragments)}",
        ),
        ("enterprises: English name fragment", 5, lambda: f"/integrity/?q={rng.choice(english)}"),
        ("enterprises: credit code fragment", 3, lambda: f"/integrity/?q={rng.choice(credit)}"),
        ("enterprises: province", 10, lambda: f"/integrity/?province={rng.choice(provinces)}"),
        (
            "enterprises: city or county code",
            5,
            lambda: f"/integrity/?region={rng.choice(seats + cities)}",
        ),
        ("enterprises: programme and year", 8, lambda: f"/integrity/?{programme_year()}"),
        ("enterprises: industry", 5, lambda: f"/integrity/?industry={rng.choice(industries)}"),
        (
            "enterprises: name, province, valid only",
            5,
            lambda: (
                f"/integrity/?q={rng.choice(fragments)}&province={rng.choice(provinces)}&valid=on"
            ),
        ),
        ("enterprises: later pages", 5, lambda: f"/integrity/?page={rng.randint(2, 50)}"),
        (
            "products: name fragment",
            12,
            lambda: f"/integrity/products/?q={rng.choice(product_fragments)}",
        ),
        ("products: GTIN", 4, lambda: f"/integrity/products/?q={rng.choice(gtins)}"),
        ("products: province", 5, lambda: f"/integrity/products/?province={rng.choice(provinces)}"),
        ("products: programme and year", 5, lambda: f"/integrity/products/?{programme_year()}"),
        (
            "products: industry and name",
            3,
            lambda: f"/integrity/products/?industry=C&q={rng.choice(product_fragments)}",
        ),
        ("products: later pages", 5, lambda: f"/integrity/products/?page={rng.randint(2, 50)}"),
    ]
    return kinds


def percentiles(samples: list[float]) -> dict:
    q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
    return {
        "n": len(samples),
        "p50": statistics.median(samples),
        "p95": q[94],
        "p99": q[98],
        "max": max(samples),
    }


def measure(requests: int) -> dict:
    from django.test import Client

    rng = random.Random(SEED + 1)
    kinds = mix(rng)
    weights = [w for _, w, _ in kinds]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    sent = [0]

    def get(url: str) -> float:
        sent[0] += 1
        n = sent[0]
        address = f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"
        started = time.perf_counter()
        response = client.get(url, REMOTE_ADDR=address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    plan = [rng.choices(kinds, weights)[0] for _ in range(requests + requests // 10)]
    urls = [(name, make()) for name, _, make in plan]
    warm, urls = urls[: requests // 10], urls[requests // 10 :]
    for _, url in warm:
        get(url)
        get("/integrity/")
    by_kind, searches, baseline = {}, [], []
    for name, url in urls:
        elapsed = get(url)
        by_kind.setdefault(name, []).append(elapsed)
        searches.append(elapsed)
        baseline.append(get("/integrity/"))
    details = measure_details(client, rng, get)
    return {
        "searches": percentiles(searches),
        "baseline": percentiles(baseline),
        "kinds": {name: percentiles(by_kind[name]) for name, _, _ in kinds if name in by_kind},
        "details": details,
    }


def measure_details(client, rng, get) -> dict:
    """An enterprise's and a product's public page, for random participants."""
    from trustlabel.integrity.models import ListedEnterprise, ListedProduct

    members = list(ListedEnterprise.objects.values_list("pk", flat=True))
    products = list(ListedProduct.objects.values_list("pk", flat=True))
    pages = {"enterprise page": [], "product page": []}
    for _ in range(200):
        pages["enterprise page"].append(get(f"/integrity/enterprises/{rng.choice(members)}/"))
        pages["product page"].append(get(f"/integrity/products/{rng.choice(products)}/"))
    return {name: percentiles(samples) for name, samples in pages.items()}


def server_version(database: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if database == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def child(database: str, requests: int, rebuild: bool) -> None:
    setup_django(database)
    from django.db import connection

    reused = True
    if database == "postgres":
        rebuild = rebuild or not benchdb.database_exists(PG_NAME)
    if rebuild or not complete():
        connection.close()
        log(f"{database}: building")
        timings = build(database)
        for step, seconds in timings.items():
            log(f"  {step}: {seconds:.0f} s")
        reused = False
    else:
        timings = {}
    result = {
        "database": server_version(database),
        "reused": reused,
        "timings": timings,
        "counts": counts(),
    }
    log(f"{database}: timing {requests} searches")
    result.update(measure(requests))
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------- the report


def render(args, results: dict) -> str:
    lines = [
        HEADING,
        "",
        f"`.venv/bin/python bench/directory.py --db {args.db} --requests {args.requests}`: "
        "the public directory's searches through Django's test client (routing, middleware, "
        "the rate limit's upsert, the view, the templates, in Chinese; each request from its "
        "own client address, one after the other), each followed by the baseline, the "
        "directory's unfiltered first page (every participating enterprise, 20 to a page, "
        "with the count). Measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this 2-core machine, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
    ]
    first = next(iter(results.values()))
    counted = first["counts"]
    lines += [
        "Data (bulk inserts; see the script's docstring): "
        + ", ".join(f"{value:,} {name}" for name, value in counted.items())
        + ".",
        "",
        "| ms | " + " | ".join(f"{r['database']} p50 | p95" for r in results.values()) + " |",
        "|---|" + "---:|---:|" * len(results),
    ]

    def row(name: str, pick) -> str:
        cells = []
        for r in results.values():
            p = pick(r)
            cells += [f"{p['p50']:.1f}", f"{p['p95']:.1f}"] if p else ["", ""]
        return f"| {name} | " + " | ".join(cells) + " |"

    lines.append(row(f"**all searches** ({first['searches']['n']:,})", lambda r: r["searches"]))
    lines.append(row("baseline: unfiltered first page", lambda r: r["baseline"]))
    for name in first["kinds"]:
        lines.append(row(name, lambda r, name=name: r["kinds"].get(name)))
    for name in first["details"]:
        lines.append(row(name, lambda r, name=name: r["details"].get(name)))
    lines.append("")
    verdicts = []
    for r in results.values():
        p95 = r["searches"]["p95"]
        verdict = "met" if p95 < GOAL_MS else "NOT met"
        verdicts.append(f"{r['database']} {verdict} (p95 {p95:.1f} ms)")
    lines.append(f"Goal (searches under {GOAL_MS} ms at p95): " + "; ".join(verdicts) + ".")
    lines.append("")
    if NOTES.strip():
        lines.append(NOTES.rstrip())
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests, args.rebuild)
        return
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {}
    for database in databases:
        command = [sys.executable, __file__, "--child", database, "--requests", str(args.requests)]
        if args.rebuild:
            command.append("--rebuild")
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        line = next(x for x in output.splitlines() if x.startswith("RESULT "))
        results[database] = json.loads(line.removeprefix("RESULT "))
    section = render(args, results)
    print(section)
    if not args.no_doc:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
