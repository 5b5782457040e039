"""How fast and how large decision documents render.

Run: .venv/bin/python bench/render.py

A representative one-page decision letter (Chinese text, a table of funding sources, the amount
in capitals and figures, the signature with the demo seal, the imprint, a QR code, the JSON
record attached) is rendered 30 times after 3
warm-ups, as PDF/A-3b and as a plain PDF; then a meeting-minutes document with 50 agenda items.
The one-page letter is also written by stock WeasyPrint (``_render_figures``) in the same run,
and the renderer process's peak memory is printed.
Targets: one page median ≤ 150 ms and ≤ 150 KB, ≤ 0.7× stock WeasyPrint; 50 items < 2 s;
renderer peak memory ≤ 200 MB.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    TEMPLATES=[
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [ROOT / "templates"]}
    ],
    USE_I18N=True,
    LANGUAGE_CODE="zh-hans",
)
django.setup()

from django.template import engines  # noqa: E402

from documents.numerals import amount_in_chinese_capitals, format_yuan  # noqa: E402
from documents.render import PdfAttachment, render_pdf  # noqa: E402

WARM_UPS = 3
RUNS = 30

LETTER = """{% extends "documents/base.html" %}
{% block body %}
<p class="addressee">{{ applicant }}：</p>
<p>你单位申报的国家科技重大专项课题“{{ project }}”（课题编号 {{ code }}）配套资金申请，
经牵头部门审查、审核工作小组审核，并提请市联席会议审议，现批复如下：</p>
<table class="facts">
  <tr><th>所属重大专项</th><td>极大规模集成电路制造装备及成套工艺</td></tr>
  <tr><th>批复配套金额</th><td class="amount">{{ figures }}<br>（大写：{{ capitals }}）</td></tr>
  <tr><th>落地区</th><td>北京经济技术开发区</td></tr>
</table>
<table>
  <thead><tr><th>资金来源</th><th>支持方式</th><th class="amount">金额</th></tr></thead>
  <tbody>
  {% for source, form, amount in sources %}
    <tr><td>{{ source }}</td><td>{{ form }}</td><td class="amount">{{ amount }}</td></tr>
  {% endfor %}
  </tbody>
</table>
<p>请严格按照批复内容使用配套资金，专款专用，项目成果须在本市落地转化，并按要求报送实施进展与成果转化情况。</p>
{% include "documents/_signature.html" %}
{% endblock %}
"""

MINUTES = """{% extends "documents/base.html" %}
{% block body %}
<p class="no-indent">会议时间：2025年11月25日　　会议地点：市政府第三会议室　　主持：分管副市长</p>
<table>
  <thead>
    <tr><th>序号</th><th>申报单位</th><th>课题</th><th>决议</th>
      <th class="amount">批复金额</th></tr>
  </thead>
  <tbody>
  {% for item in items %}
    <tr><td>{{ item.0 }}</td><td>{{ item.1 }}</td><td>{{ item.2 }}</td><td>{{ item.3 }}</td>
        <td class="amount">{{ item.4 }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
"""

COMMON = {
    "issuer": "北京市国家科技重大专项配套资金联席会议办公室",
    "issuer_mark": "北京市重大专项配套资金联席会议文件",
    "issuer_mark_size": 25.5,
    "date_text": "2025年11月25日",
    "imprint_size": 13.0,
    "copy_to": ["北京市科学技术委员会", "北京市经济和信息化局"],
    "verification_text": "https://funds.example.invalid/documents/verify/?number=京科配〔2025〕12号",
}


def demo_seal() -> str:
    """The demo seal as a data: URI, as the letter carries it."""
    import base64
    import tempfile

    from documents.seal import make_demo_seal

    path = Path(tempfile.mkdtemp(prefix="bench-seal-")) / "seal.png"
    make_demo_seal(path, issuer=COMMON["issuer"])
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def qr_code(text: str) -> str:
    """The QR code as the documents carry it (documents.content.qr_data_uri): a small PNG in a
    data: URI."""
    import segno

    return segno.make(text, error="m").png_data_uri(scale=4, border=0)


def letter_html() -> str:
    amount = Decimal("12000000")
    context = {
        **COMMON,
        "title": "关于北京某某科技有限公司申请配套资金的批复",
        "number": "京科配〔2025〕12号",
        "applicant": "北京某某科技有限公司",
        "project": "28纳米工艺刻蚀设备产业化",
        "code": "2025ZX02101",
        "capitals": amount_in_chinese_capitals(amount),
        "figures": format_yuan(amount),
        "sources": [
            ("北京市科学技术委员会", "无偿资助", format_yuan(Decimal("8000000"))),
            ("北京市经济和信息化局", "股权投资", format_yuan(Decimal("4000000"))),
        ],
        "qr_data_uri": qr_code(COMMON["verification_text"]),
        "seal_data_uri": demo_seal(),
    }
    return engines["django"].from_string(LETTER).render(context)


def minutes_html(items: int) -> str:
    decisions = ("同意", "不予支持", "暂缓审议")
    context = {
        **COMMON,
        "title": "市联席会议纪要（2025年第4次）",
        "number": "京科配纪〔2025〕4号",
        "items": [
            (
                index,
                f"北京第{index}科技股份有限公司",
                f"高端芯片封装测试装备研制与产业化（第{index}期）",
                decisions[index % 3],
                format_yuan(Decimal(1_500_000 + 250_000 * index)) if index % 3 == 0 else "—",
            )
            for index in range(1, items + 1)
        ],
    }
    return engines["django"].from_string(MINUTES).render(context)


def measure(label: str, html: str, **options: object) -> float:
    for _ in range(WARM_UPS):
        render_pdf(html, **options)
    times, sizes = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        pdf = render_pdf(html, **options)
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(pdf))
    p95 = statistics.quantiles(times, n=20)[-1]
    median = statistics.median(times)
    print(
        f"{label:<34} median {median:7.1f} ms   mean {statistics.mean(times):7.1f} ms   "
        f"p95 {p95:7.1f} ms   size {statistics.mean(sizes) / 1024:6.1f} KB   "
        f"{_pages(pdf)} page(s)"
    )
    return median


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    record = json.dumps({"number": "京科配〔2025〕12号", "amount": "12000000.00"}).encode()
    attachment = PdfAttachment("decision.json", record, "决定记录", "application/json")
    letter = letter_html()
    print(f"{RUNS} renders after {WARM_UPS} warm-ups each (targets: 150 ms, 150 KB; 2 s)")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run")
    ours = measure("one-page letter, PDF/A-3b", letter, attachments=[attachment])
    measure("one-page letter, plain PDF", letter, attachments=[attachment], pdf_variant=None)
    measure("minutes, 50 agenda items, PDF/A-3b", minutes_html(50), page_limit=20)
    from _render_figures import print_renderer_memory, stock_render_ms

    stock = stock_render_ms(letter, [attachment], runs=RUNS)
    print(
        f"stock WeasyPrint, same letter     median {stock:7.1f} ms   "
        f"ours {ours / stock:4.2f}× stock   (target ≤ 0.7×)"
    )
    print_renderer_memory()


if __name__ == "__main__":
    main()
