"""The demo's label programmes: the three campaigns of the source documents, with dates
around today so that one is open for applications, and the demo enterprise approved in
one of them (two reviewers, a certificate), so a check of its label shows the promise.

Called by `trustlabel demo`; idempotent. The marks are drawn here and say they are demo
artwork, not the association's real marks."""

import datetime as dt
import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from trustlabel.accounts.access import Actor

from .actions import applications as flow
from .models import Application, CommitmentItem, Programme, ServicePromise

_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
)


def _font(size: int):
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def demo_mark(big: str, small: str, colour: tuple[int, int, int]) -> bytes:
    """A round badge: the campaign's short name, a line under it, and "DEMO"."""
    size = 360
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=(255, 255, 255, 255), outline=colour, width=16)
    draw.ellipse((36, 36, size - 36, size - 36), outline=colour, width=4)
    draw.text((size / 2, 150), big, fill=colour, font=_font(84), anchor="mm")
    draw.text((size / 2, 232), small, fill=colour, font=_font(34), anchor="mm")
    draw.text((size / 2, 290), "DEMO", fill=colour, font=_font(26), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _programmes(today: dt.date) -> list[dict]:
    year = today.year
    # The next 15 March campaign: applications from November until 10 March.
    march = year if today <= dt.date(year, 3, 10) else year + 1
    return [
        {
            "code": f"315-{march}",
            "name": f"{march}年“3·15”产品和服务质量诚信承诺活动",
            "name_en": f"{march} “3·15” product and service quality-integrity commitment",
            "kind": Programme.Kind.CONSUMER_RIGHTS,
            "year": march,
            "requirements": (
                "质量诚信承诺书（九项标准承诺逐项说明做法）；每个产品的标准自我声明"
                "（执行标准及企业标准指标）；营业执照；近一年内的产品检验报告。"
            ),
            "required_documents": ["business_licence", "inspection_report"],
            "opens_on": min(today, dt.date(march - 1, 11, 1)),
            "closes_on": max(today, dt.date(march, 3, 10)),
            "valid_until": dt.date(march + 1, 3, 14),
            "label_quota": 1_000_000,
            "issue_on_approval": False,  # issued together on 15 March, in one batch
            "mark": ("3·15", "质量诚信", (196, 30, 58)),
        },
        {
            "code": f"qm-{year}",
            "name": f"{year}年全国“质量月”企业质量诚信倡议活动",
            "name_en": f"{year} national Quality Month integrity initiative",
            "kind": Programme.Kind.QUALITY_MONTH,
            "year": year,
            "requirements": "企业质量诚信倡议书与承诺书；营业执照。",
            "required_documents": ["business_licence"],
            "opens_on": dt.date(year, 7, 1),
            "closes_on": dt.date(year, 9, 30),
            "valid_until": dt.date(year + 1, 9, 30),
            "label_quota": 500_000,
            "issue_on_approval": True,
            "mark": ("质量月", f"{year}", (0, 102, 153)),
        },
        {
            "code": f"sq-{year}",
            "name": f"{year}年“全国质检稳定合格产品”",
            "name_en": f"{year} nationally stable qualified products",
            "kind": Programme.Kind.STABLE_QUALIFIED,
            "year": year,
            "requirements": (
                "连续检验合格的检验报告；产品执行标准的自我声明；营业执照与生产许可证。"
            ),
            "required_documents": ["business_licence", "inspection_report"],
            "opens_on": dt.date(year, 1, 1),
            "closes_on": dt.date(year, 12, 31),
            "valid_until": dt.date(year + 1, 12, 31),
            "label_quota": 200_000,
            "issue_on_approval": True,
            "mark": ("稳定合格", "全国质检", (19, 115, 51)),
        },
    ]


def build_programmes(keeper: Actor) -> list[Programme]:
    today = timezone.localdate()
    made = []
    for spec in _programmes(today):
        spec = dict(spec)
        big, small, colour = spec.pop("mark")
        programme = Programme.objects.filter(code=spec["code"]).first()
        if programme is None:
            spec["mark"] = SimpleUploadedFile(
                f"{spec['code']}.png", demo_mark(big, small, colour), "image/png"
            )
            programme = flow.do_save_programme(keeper, **spec)
        made.append(programme)
    return made


HOW = {
    CommitmentItem.LAWS: "严格遵守《产品质量法》等法律法规，执行国家强制性标准。",
    CommitmentItem.QUALITY_SYSTEM: "按 GB/T 19001 运行质量管理体系，生产和检验记录保存五年。",
    CommitmentItem.KEY_PROCESSES: "压缩机装配、焊接和冷媒充注设为关键工序，逐台记录参数。",
    CommitmentItem.INSPECTION: "每台整机出厂前做电气安全和性能检验，每批抽样做型式检验。",
    CommitmentItem.TRACEABILITY: "每台产品贴唯一防伪溯源码，可查生产批次、检验和去向。",
    CommitmentItem.SAFETY: "产品符合 GB 4706.1 安全要求，发现隐患立即停售并召回。",
    CommitmentItem.AFTER_SALES: "整机保修六年，七日无理由退货，十五日内质量问题包换。",
    CommitmentItem.COMPENSATION: "因产品质量造成损失的，依法先行赔付。",
    CommitmentItem.STANDARDS: "在本平台公开产品执行的全部标准及企业标准指标。",
}


def build_approved_application(
    programme: Programme, maker: Actor, reviewers: tuple[Actor, Actor], product, documents
) -> Application:
    """The demo enterprise's application for `product`, taken through the whole review."""
    current = flow.current_application(maker.organisation.pk, programme)
    if current is not None:
        return current
    application = flow.do_start_application(maker, programme, [product])
    flow.do_save_commitment(
        maker,
        application,
        {item.value: text for item, text in HOW.items()},
        [
            (ServicePromise.Topic.RESPONSE_TIME, "400 热线 24 小时接听，城区 24 小时内上门。"),
            (ServicePromise.Topic.WARRANTY, "整机保修六年，压缩机保修十年。"),
        ],
        "安装、移机一次免费。",
    )
    covered = application.covered_products.get()
    flow.do_declare_standard(
        maker,
        covered,
        "national",
        product.standard_number or "GB/T 7725-2022",
        product.standard_name or "房间空气调节器",
    )
    flow.do_declare_standard(
        maker,
        covered,
        "enterprise",
        "Q/SFDQ 001-2026",
        "变频空调器企业标准（演示）",
        indicators=[
            {
                "name": "全年能源消耗效率 APF",
                "value": "≥ 5.30",
                "unit": "W·h/W",
                "test_method": "GB 21455-2019",
            },
            {
                "name": "室内机噪声",
                "value": "≤ 38",
                "unit": "dB(A)",
                "test_method": "GB/T 7725-2022",
            },
            {"name": "制冷量", "value": "3500", "unit": "W", "test_method": "GB/T 7725-2022"},
        ],
    )
    for kind, title, content in documents:
        flow.do_attach_document(
            maker,
            application,
            kind,
            title,
            SimpleUploadedFile(f"{kind}.pdf", content, "application/pdf"),
        )
    flow.do_submit(maker, application)
    first, second = reviewers
    flow.do_start_review(first, application)
    flow.do_approve(first, application, "材料齐全，承诺具体。")
    return flow.do_approve(second, application, "同意。")
