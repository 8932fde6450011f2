"""`trustlabel demo`: demo organisations, people, products and label orders.

Idempotent: running it again reuses what exists, and hands out fresh passwords and API
keys (the old ones are replaced, never stored in plain text)."""

import datetime as dt
import io
import json
import secrets

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from stdnum.cn import uscc

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import ApiKey, Organisation, User
from trustlabel.catalog import actions as catalog
from trustlabel.catalog.models import Lot, Product
from trustlabel.codes import actions as codes
from trustlabel.codes.keys import code_key
from trustlabel.codes.models import LabelOrder
from trustlabel.integrity import actions as integrity
from trustlabel.integrity import demo as integrity_demo
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.regions.models import Division
from trustlabel.trace import actions as trace
from trustlabel.trace.identifiers import check_digit
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import Containment
from trustlabel.verify.core import CheckContext, verify

DEMO = "（演示）"
K = Organisation.Kind
ORGANISATIONS = {
    "association": (K.ASSOCIATION, "质量检验协会" + DEMO, "Quality Inspection Association (demo)"),
    "enterprise": (K.ENTERPRISE, "示范电器股份有限公司" + DEMO, "Model Appliances Co. (demo)"),
    "enterprise2": (K.ENTERPRISE, "示范食品有限公司" + DEMO, "Model Foods Co. (demo)"),
    "distributor": (K.DISTRIBUTOR, "华东示范商贸有限公司" + DEMO, "East China Trading (demo)"),
    "distributor2": (K.DISTRIBUTOR, "华南示范商贸有限公司" + DEMO, "South China Trading (demo)"),
    "inspector": (K.INSPECTOR, "示范质量监督检验所" + DEMO, "Quality Inspection Institute (demo)"),
}
# Distributors: where they are seated and where they may sell (GB/T 2260 codes).
TERRITORIES = {
    "distributor": ("310101", ["310000", "320000", "330000"]),  # Shanghai; Jiangsu, Zhejiang
    "distributor2": ("440106", ["440000"]),  # Guangzhou; Guangdong
}
# The demo enterprises in the member register: a USCC made of a plausible 17-character
# base (registering authority, entity type, seat, organisation code) and its check
# character, the seat, the GB/T 4754 section and a contact.
MEMBERS = {
    "enterprise": ("91440402MA4W1234K", "440402", "C", "张敏", "0756-8668888", "zhang@example.com"),
    "enterprise2": ("91150105MA0N5678H", "150105", "C", "王芳", "0471-6601234", "wang@example.com"),
}
# The demo's cases and pallet: SSCCs under the demo company prefix 6901234.
PALLET, CASES = 900, (901, 902)
PRODUCTS = {
    "enterprise": [
        (
            "06901234567892",
            "变频空调 KFR-35GW",
            "Inverter air conditioner KFR-35GW",
            "1.5匹 壁挂式 一级能效",
            "GB/T 7725-2022",
            "房间空气调节器",
        ),
        (
            "06901234567908",
            "电饭煲 FB-40",
            "Rice cooker FB-40",
            "4 L 1000 W",
            "GB 4706.19-2008",
            "家用和类似用途电器的安全 液体加热器的特殊要求",
        ),
    ],
    "enterprise2": [
        (
            "06923456789012",
            "纯牛奶 250 mL",
            "Whole milk 250 mL",
            "250 mL × 12 盒",
            "GB 25190-2010",
            "食品安全国家标准 灭菌乳",
        ),
    ],
}


class Command(BaseCommand):
    help = "Create demo data (idempotently) and print codes to try, logins and API keys."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        result = self.build()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        base = settings.TRUSTLABEL_BASE_URL
        out = self.stdout.write
        out("")
        out(f"TrustLabel demo is ready. Open {base}/verify to check a code,")
        out(f"or {base}/portal/ to sign in to the enterprise portal.")
        out("")
        out("Codes to try (open the URL, or type the code at /verify):")
        for item in result["codes"]:
            out(f"  {item['label']}: {item['code']}")
            out(f"      {item['url']}")
        out("")
        out(f"Directory of committed enterprises: {base}/integrity/")
        certificate = f"{base}/integrity/certificates/{result['certificate']}/"
        out(f"The demo enterprise's certificate: {certificate}")
        out(f"Public ledger: {base}/ledger/checkpoint, its key at {base}/ledger/key")
        out("(the ledger's writer, started with the server, signs a checkpoint within a second)")
        out("")
        out("Case labels to scan at /portal/trace/scan/ (as the distributor):")
        for label in result["case_labels"]:
            out(f"  {label}")
        out("")
        out("Sign-ins (passwords are new each time `trustlabel demo` runs):")
        for role, login in result["logins"].items():
            out(f"  {role:12} {login['username']:20} {login['password']}")
        out("")
        out("API keys (send as 'Authorization: Bearer <key>'):")
        for role, key in result["api_keys"].items():
            out(f"  {role:12} {key}")
        out("")

    @transaction.atomic
    def build(self) -> dict:
        codes.ensure_key_ring()
        orgs = {role: self.organisation(*spec) for role, spec in ORGANISATIONS.items()}
        logins, keys = {}, {}
        for role, org in orgs.items():
            user, password = self.user(f"demo-{role}", org)
            logins[role] = {"username": user.username, "password": password}
            ApiKey.objects.filter(organisation=org, name="demo", revoked_at__isnull=True).update(
                revoked_at=dt.datetime.now(dt.UTC)
            )
            _, keys[role] = accounts.do_create_api_key(
                org, "demo", role=User.Role.ADMIN, created_by=user
            )
        orders = []
        for role, products in PRODUCTS.items():
            admin = User.objects.get(username=f"demo-{role}")
            for spec in products:
                product = self.product(orgs[role], *spec)
                lot = self.lot(product)
                orders.append(self.order(Actor.of_user(admin), product, lot, "open", 1000))
                if role == "enterprise" and spec is products[0]:
                    orders.append(self.order(Actor.of_user(admin), product, lot, "scratch", 200))
        for role, (seat, regions) in TERRITORIES.items():
            orgs[role].region = seat
            orgs[role].save(update_fields=["region"])
            do_set_sales_regions(orgs[role], regions)
        keeper = Actor.of_user(User.objects.get(username="demo-association"))
        for role, (base17, seat, industry, name, phone, email) in MEMBERS.items():
            integrity.do_update_member(
                keeper,
                integrity.ensure_member(orgs[role]),
                uscc=base17 + uscc.calc_check_digit(base17),
                region=Division.objects.get(code=seat),
                industry=industry,
                contact_name=name,
                contact_phone=phone,
                contact_email=email,
            )
        # A second person of the association: approvals need two (four eyes).
        reviewer, password = self.user("demo-reviewer", orgs["association"], User.Role.STAFF)
        logins["reviewer"] = {"username": reviewer.username, "password": password}
        programmes = integrity_demo.build_programmes(keeper)
        stable = next(p for p in programmes if p.kind == "stable_qualified")
        maker = Actor.of_user(logins_user("enterprise"))
        air_conditioner = Product.objects.get(gtin=PRODUCTS["enterprise"][0][0])
        approved = integrity_demo.build_approved_application(
            stable,
            maker,
            (keeper, Actor.of_user(reviewer)),
            air_conditioner,
            [
                ("business_licence", "营业执照（演示）", demo_document("business licence")),
                ("inspection_report", "检验报告（演示）", demo_document("inspection report")),
            ],
        )
        marked = LabelOrder.objects.filter(programme=stable).order_by("pk").first()
        if marked is None:
            marked = codes.do_create_label_order(
                maker,
                air_conditioner,
                air_conditioner.lots.first(),
                500,
                "open",
                programme=stable,
            )
            trace.do_commission_order(maker, marked)
        base = settings.TRUSTLABEL_BASE_URL
        first_open, second_open = [o for o in orders if o.layout == "open"][:2]
        self.logistics(maker, Actor.of_user(logins_user("distributor")), first_open)
        scratch = next(o for o in orders if o.layout == "scratch")
        sample = []
        for label, order in (
            ("open label", first_open),
            ("open label", second_open),
            (
                f"open label under the programme {stable.code} (its mark, the maker's promise)",
                marked,
            ),
        ):
            code = code_key(order.key_version).code(order.serial_start)
            sample.append(
                {"label": label, "code": code, "url": f"{base}/01/{order.product.gtin}/21/{code}"}
            )
        key = code_key(scratch.key_version)
        public = key.public_serial(scratch.serial_start)
        sample.append(
            {
                "label": "scratch-off label (hidden code)",
                "code": key.code(scratch.serial_start),
                "url": f"{base}/01/{scratch.product.gtin}/21/{public}",
            }
        )
        return {
            "base_url": base,
            "codes": sample,
            "case_labels": [demo_sscc(n) for n in CASES],
            "certificate": approved.certificate.number,
            "logins": logins,
            "api_keys": {
                r: keys[r]
                for r in (
                    "enterprise",
                    "distributor",
                    "distributor2",
                    "inspector",
                    "association",
                    "enterprise2",
                )
            },
        }

    def organisation(self, kind, name, name_en) -> Organisation:
        org = Organisation.objects.filter(name=name).first()
        return org or accounts.do_create_organisation(kind, name, name_en)

    def user(self, username, org, role=User.Role.ADMIN) -> tuple[User, str]:
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.do_create_user(username, org, role=role, password=password)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user, password

    def product(self, org, gtin, name, name_en, spec, std_no, std_name) -> Product:
        product = Product.objects.filter(gtin=gtin).first()
        if product is None:
            product = catalog.do_create_product(
                org,
                gtin,
                name,
                name_en=name_en,
                specification=spec,
                standard_number=std_no,
                standard_name=std_name,
                image=SimpleUploadedFile(f"{gtin}.png", demo_image(gtin), "image/png"),
            )
        return product

    def lot(self, product) -> Lot:
        lot = product.lots.first()
        if lot is None:
            today = dt.date.today()
            lot = catalog.do_create_lot(
                product,
                f"L{today:%Y%m}01",
                today - dt.timedelta(days=30),
                10000,
                "示范工厂" + DEMO,
                today + dt.timedelta(days=730),
            )
            catalog.do_attach_report(
                lot,
                f"DEMO-{product.gtin[-6:]}",
                "pass",
                ORGANISATIONS["inspector"][1],
                today - dt.timedelta(days=25),
                SimpleUploadedFile("report.pdf", demo_report(product, lot), "application/pdf"),
            )
        return lot

    def logistics(self, maker: Actor, distributor: Actor, order: LabelOrder) -> None:
        """The first 24 labels of an order packed 12 to a case, both cases on a pallet,
        shipped to the East China distributor and received there; then a (demo) check of
        one of them in Guangzhou, outside its sales region, which raises an alert."""
        if Containment.objects.filter(parent=demo_sscc(PALLET)).exists():
            return
        items = [label_epc(order, order.serial_start + i) for i in range(24)]
        for case, chunk in zip(CASES, (items[:12], items[12:]), strict=True):
            trace.do_pack(maker, demo_sscc(case), chunk)
        trace.do_pack(maker, demo_sscc(PALLET), [demo_sscc(case) for case in CASES])
        trace.do_move(maker, trace.Step.SHIP, [demo_sscc(PALLET)], distributor.organisation)
        trace.do_move(distributor, trace.Step.RECEIVE, [demo_sscc(PALLET)])
        code = code_key(order.key_version).code(order.serial_start + 20)
        verify(code, CheckContext(lat=23.1291, lon=113.3240))

    def order(self, actor, product, lot, layout, quantity) -> LabelOrder:
        order = LabelOrder.objects.filter(product=product, layout=layout).order_by("pk").first()
        if order is None:
            order = codes.do_create_label_order(actor, product, lot, quantity, layout)
            trace.do_commission_order(actor, order)  # labels on products: active
        return order


def logins_user(role: str) -> User:
    return User.objects.get(username=f"demo-{role}")


def demo_sscc(n: int) -> str:
    body = f"06901234{n:09d}"
    return f"https://id.gs1.org/00/{body}{check_digit(body)}"


def demo_image(gtin: str) -> bytes:
    """A plain product picture for the demo: a tile with the GTIN, marked as a demo."""
    image = Image.new("RGB", (480, 320), (232, 240, 254))
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 463, 303), outline=(26, 115, 232), width=4)
    draw.text((40, 110), "DEMO PRODUCT", fill=(31, 78, 140), font=ImageFont.load_default(40))
    draw.text((40, 170), f"GTIN {gtin}", fill=(31, 78, 140), font=ImageFont.load_default(28))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def demo_document(what: str) -> bytes:
    """A one-page PDF that says plainly it stands in for a real document in the demo."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 770, f"DEMO {what} - not a real document")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def demo_report(product, lot) -> bytes:
    """A one-page PDF that says plainly it is a demo inspection report."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 770, "DEMO inspection report - not a real test result")
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, 740, f"GTIN {product.gtin}   lot {lot.lot_number}")
    pdf.drawString(72, 722, "Created by `trustlabel demo` to show how reports appear.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
