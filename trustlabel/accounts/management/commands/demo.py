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

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import ApiKey, Organisation, User
from trustlabel.catalog import actions as catalog
from trustlabel.catalog.models import Lot, Product
from trustlabel.codes import actions as codes
from trustlabel.codes.keys import code_key
from trustlabel.codes.models import LabelOrder
from trustlabel.trace import actions as trace

DEMO = "（演示）"
K = Organisation.Kind
ORGANISATIONS = {
    "association": (K.ASSOCIATION, "质量检验协会" + DEMO, "Quality Inspection Association (demo)"),
    "enterprise": (K.ENTERPRISE, "示范电器股份有限公司" + DEMO, "Model Appliances Co. (demo)"),
    "enterprise2": (K.ENTERPRISE, "示范食品有限公司" + DEMO, "Model Foods Co. (demo)"),
    "distributor": (K.DISTRIBUTOR, "华东示范商贸有限公司" + DEMO, "East China Trading (demo)"),
    "inspector": (K.INSPECTOR, "示范质量监督检验所" + DEMO, "Quality Inspection Institute (demo)"),
}
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
        base = settings.TRUSTLABEL_BASE_URL
        first_open, second_open = [o for o in orders if o.layout == "open"][:2]
        scratch = next(o for o in orders if o.layout == "scratch")
        sample = []
        for label, order in (("open label", first_open), ("open label", second_open)):
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
            "logins": logins,
            "api_keys": {
                r: keys[r]
                for r in ("enterprise", "distributor", "inspector", "association", "enterprise2")
            },
        }

    def organisation(self, kind, name, name_en) -> Organisation:
        org = Organisation.objects.filter(name=name).first()
        return org or accounts.do_create_organisation(kind, name, name_en)

    def user(self, username, org) -> tuple[User, str]:
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.do_create_user(username, org, role=User.Role.ADMIN, password=password)
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

    def order(self, actor, product, lot, layout, quantity) -> LabelOrder:
        order = LabelOrder.objects.filter(product=product, layout=layout).order_by("pk").first()
        if order is None:
            order = codes.do_create_label_order(actor, product, lot, quantity, layout)
            trace.do_commission_order(actor, order)  # labels on products: active
        return order


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
