"""The districts, the development area and the parks the programme starts with. The data
migration stores them (``0008_districts_as_data``); a database emptied by ``flush`` (the test
suite's transactional tests) gets them back after it, as Django's own content types do.
Administrators add or retire parks in the back office."""

from __future__ import annotations

from typing import Any

# (code, name, English name, kind, counted as): the codes stored until districts became data.
DISTRICTS = [
    ("dongcheng", "东城区", "Dongcheng District", "district", "东城区"),
    ("xicheng", "西城区", "Xicheng District", "district", "西城区"),
    ("chaoyang", "朝阳区", "Chaoyang District", "district", "朝阳区"),
    ("haidian", "海淀区", "Haidian District", "district", "海淀区"),
    ("fengtai", "丰台区", "Fengtai District", "district", "丰台区"),
    ("shijingshan", "石景山区", "Shijingshan District", "district", "石景山区"),
    ("mentougou", "门头沟区", "Mentougou District", "district", "门头沟区"),
    ("fangshan", "房山区", "Fangshan District", "district", "房山区"),
    ("tongzhou", "通州区", "Tongzhou District", "district", "通州区"),
    ("shunyi", "顺义区", "Shunyi District", "district", "顺义区"),
    ("changping", "昌平区", "Changping District", "district", "昌平区"),
    ("daxing", "大兴区", "Daxing District", "district", "大兴区"),
    ("huairou", "怀柔区", "Huairou District", "district", "怀柔区"),
    ("pinggu", "平谷区", "Pinggu District", "district", "平谷区"),
    ("miyun", "密云区", "Miyun District", "district", "密云区"),
    ("yanqing", "延庆区", "Yanqing District", "district", "延庆区"),
    (
        "bda",
        "北京经济技术开发区",
        "Beijing Economic-Technological Development Area",
        "development_zone",
        "北京经济技术开发区",
    ),
    ("zgc_science_city", "中关村科学城", "Zhongguancun Science City", "park", "海淀区"),
    ("huairou_science_city", "怀柔科学城", "Huairou Science City", "park", "怀柔区"),
    ("future_science_city", "未来科学城", "Future Science City", "park", "昌平区"),
    ("outside", "京外", "Outside Beijing", "outside", ""),
]


def ensure_districts(**kwargs: Any) -> None:
    """Store the starting districts in a database that has none (after a flush)."""
    from .models import District

    if District.objects.exists():
        return
    District.objects.bulk_create(
        District(
            code=code,
            name=name,
            name_en=name_en,
            kind=kind,
            counted_as=counted_as,
            position=position,
        )
        for position, (code, name, name_en, kind, counted_as) in enumerate(DISTRICTS)
    )


def district_labels(*, active_only: bool = False) -> dict[str, str]:
    """Each district's, area's and park's name by its code, in the page's language, in the
    order applicants see them (``active_only``: only those applicants may still choose)."""
    from django.utils.translation import get_language

    from .models import District

    english = (get_language() or "").startswith("en")
    rows = District.objects.filter(active=True) if active_only else District.objects.all()
    return {
        code: (name_en or name) if english else name
        for code, name, name_en in rows.values_list("code", "name", "name_en")
    }


def district_choices() -> list[tuple[str, str]]:
    """The districts, areas and parks applicants may choose, for a form's choices."""
    return list(district_labels(active_only=True).items())
