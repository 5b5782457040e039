"""Compact CJK font subsets for the worker: only the glyphs a document uses."""

from __future__ import annotations

import io
import logging
from typing import Any

logger = logging.getLogger("documents.render")

_CFF_TAG = int.from_bytes(b"CFF ", "big")
_DROPPED_TABLES = sorted(
    int.from_bytes(tag, "big") for tag in (b"BASE", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"VORG")
)


class CidFontCompactor:
    """Embeds CJK fonts with only the glyphs used: a few KB per font instead of ~100 KB.

    WeasyPrint 70 subsets fonts keeping every glyph id up to the highest one used, so a Noto CJK
    subset still carries 40,000-60,000 empty glyph slots (90-140 KB compressed, per font), and
    subsetting them is a third of a one-page render. Noto CJK is CID-keyed: HarfBuzz can subset
    its CFF to the used glyphs alone while the charset keeps each glyph's CID, and the page
    content addresses glyphs by CID (PDF 32000-1, 9.7.4.2). So, in the worker only (a process
    of its own, where patching WeasyPrint touches nothing else), ``Font.subset`` is replaced for
    CID-keyed CFF fonts, and this finisher embeds their bare CFF (FontFile3 /CIDFontType0C,
    readable since PDF 1.3, allowed by PDF/A-2 and -3). Other fonts, and any failure, take
    WeasyPrint's own path.
    """

    def __init__(self) -> None:
        from weasyprint.pdf import fonts
        from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
        from weasyprint.text.fonts import get_hb_object_data

        self.ffi, self.hb, self.hb_subset = ffi, harfbuzz, harfbuzz_subset
        self.face_data = get_hb_object_data
        self.cff_by_program: dict[int, tuple[bytes, bytes]] = {}
        weasyprint_subset = fonts.Font.subset

        def subset(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
            try:
                done = self.subset_cid_font(font, sorted({0, *to_unicode}))
            except Exception:  # WeasyPrint's own subsetting still works
                logger.debug("CID font subsetting failed", exc_info=True)
                done = False
            if not done:
                weasyprint_subset(font, to_unicode, hinting)

        if harfbuzz_subset is not None:
            fonts.Font.subset = subset

    def forget(self) -> None:
        self.cff_by_program.clear()

    def subset_cid_font(self, font: Any, glyphs: list[int]) -> bool:
        ffi, hb, hb_subset = self.ffi, self.hb, self.hb_subset
        subset_input = ffi.gc(
            hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy
        )
        glyph_set = hb_subset.hb_subset_input_glyph_set(subset_input)
        hb.hb_set_add_sorted_array(glyph_set, ffi.new("hb_codepoint_t[]", glyphs), len(glyphs))
        # Without the layout tables there is no closure over GSUB (vertical, traditional and
        # Japanese forms...): only the glyphs on the page are kept.
        dropped = hb_subset.hb_subset_input_set(
            subset_input, hb_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
        )
        tags = ffi.new("hb_codepoint_t[]", _DROPPED_TABLES)
        hb.hb_set_add_sorted_array(dropped, tags, len(_DROPPED_TABLES))
        flags = hb_subset.HB_SUBSET_FLAGS_NO_HINTING | hb_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
        if font.missing:
            flags |= hb_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        hb_subset.hb_subset_input_set_flags(subset_input, flags)
        face = hb_subset.hb_subset_or_fail(font.hb_face, subset_input)
        if face == ffi.NULL:
            return False
        face = ffi.gc(face, hb.hb_face_destroy)
        table = ffi.gc(hb.hb_face_reference_table(face, _CFF_TAG), hb.hb_blob_destroy)
        length = ffi.new("unsigned int *")
        data = hb.hb_blob_get_data(table, length)
        cff = bytes(ffi.buffer(data, length[0])) if length[0] else b""
        if not cff:
            return False
        cids = _cids(cff)
        if cids is None:
            return False
        if cids != glyphs:
            # The page addresses each glyph by its original glyph id, which the bare CFF reads
            # as a CID. Noto CJK's CIDs are its glyph ids; Fandol's Adobe-GB1 faces differ for
            # some glyphs (¥ among them): their subset is renumbered by glyph id.
            cff = _numbered_by_glyph_id(cff, glyphs)
        # The OpenType subset stays the font's program, so WeasyPrint still treats it as an
        # "otf" font; the finisher swaps in the bare CFF.
        font.file_content = self.face_data(face)
        self.cff_by_program[id(font.file_content)] = (font.file_content, cff)
        return True

    def __call__(self, document: Any, pdf: Any) -> None:
        import pydyf

        for item in pdf.objects:
            if (
                isinstance(item, pydyf.Stream)
                and item.extra.get("Subtype") == "/OpenType"
                and len(item.stream) == 1
                and id(item.stream[0]) in self.cff_by_program
            ):
                program, cff = self.cff_by_program[id(item.stream[0])]
                if program is item.stream[0]:
                    item.stream = [cff]
                    item.extra["Subtype"] = "/CIDFontType0C"
        self.forget()


def _numbered_by_glyph_id(cff: bytes, glyphs: list[int]) -> bytes:
    """The CID-keyed CFF with each glyph's CID set to the glyph id it had in the whole font."""
    from fontTools.cffLib import CFFFontSet
    from fontTools.ttLib import TTFont

    font_set = CFFFontSet()
    font_set.decompile(io.BytesIO(cff), None)
    top = font_set.topDictIndex[0]
    names = [".notdef" if gid == 0 else f"cid{gid:05d}" for gid in glyphs]
    top.charset = names
    top.CharStrings.charStrings = {name: index for index, name in enumerate(names)}
    top.CIDCount = max(int(getattr(top, "CIDCount", 0)), glyphs[-1] + 1)
    output = io.BytesIO()
    font_set.compile(output, TTFont(recalcBBoxes=False))
    return output.getvalue()


def _cids(cff: bytes) -> list[int] | None:
    """The CID of each glyph of a CID-keyed CFF font, in glyph order; None for a font that is
    not CID-keyed (its top DICT has no ROS operator)."""
    from fontTools.cffLib import CFFFontSet

    font_set = CFFFontSet()
    font_set.decompile(io.BytesIO(cff), None)
    top = font_set.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return None
    return [0 if name == ".notdef" else int(name.removeprefix("cid")) for name in top.charset]
