"""Compact CJK font subsets for the worker: only the glyphs a document uses."""

from __future__ import annotations

import io
import logging
from typing import Any

logger = logging.getLogger("documents.render")

_CFF_TAG = int.from_bytes(b"CFF ", "big")
# HarfBuzz functions that WeasyPrint's bindings do not declare (all in HarfBuzz since 0.9).
_HARFBUZZ_DECLARATIONS = """
    typedef hb_blob_t * (*hb_reference_table_func_t) (hb_face_t *, hb_tag_t, void *);
    hb_face_t * hb_face_create_for_tables (
        hb_reference_table_func_t reference_table_func, void *user_data, void *destroy);
    void hb_face_set_upem (hb_face_t *face, unsigned int upem);
    void hb_face_set_glyph_count (hb_face_t *face, unsigned int glyph_count);
    hb_blob_t * hb_blob_get_empty (void);
"""
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

    Two costs that do not depend on the document are kept out of each render:

    * HarfBuzz plans a subset by reading the whole font's cmap (some 45,000 code points in a
      Noto CJK face): 10 ms a font, whatever the number of glyphs. What is embedded is the CFF
      table alone, so the subset is taken from a face that shows HarfBuzz that table only (its
      output is byte for byte the same), kept for the worker's life.
    * WeasyPrint copies each font's whole file into Python memory for every document (27 MB for
      the Noto Serif CJK collection, 54 MB for a letter's three faces, about 15 ms), to use it
      only if it cannot subset from the HarfBuzz face. Here the copy is made when something
      reads it (``LazyFontProgram``).
    """

    def __init__(self) -> None:
        from weasyprint.pdf import fonts
        from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
        from weasyprint.text.fonts import get_hb_object_data

        self.ffi, self.hb, self.hb_subset = ffi, harfbuzz, harfbuzz_subset
        self.face_data = get_hb_object_data
        self.cff_by_program: dict[int, tuple[bytes, bytes]] = {}
        # Source face address -> (the source face, referenced so that it outlives its view;
        # the face that shows its CFF table only).
        self.cff_faces: dict[int, tuple[Any, Any]] = {}
        self.reference_table: Any = None
        try:
            ffi.cdef(_HARFBUZZ_DECLARATIONS)
            self.reference_table = ffi.callback(
                "hb_blob_t *(hb_face_t *, hb_tag_t, void *)", self._cff_table_only
            )
        except Exception:  # older bindings: subset from the whole face
            logger.debug("CFF-only faces unavailable", exc_info=True)
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
        LazyFontProgram.install(fonts)

    def forget(self) -> None:
        self.cff_by_program.clear()

    def _cff_table_only(self, face: Any, tag: int, source: Any) -> Any:
        if tag == _CFF_TAG:
            return self.hb.hb_face_reference_table(self.ffi.cast("hb_face_t *", source), tag)
        return self.hb.hb_blob_get_empty()

    def cff_face(self, face: Any) -> Any:
        """The face that shows HarfBuzz only ``face``'s CFF table, made once per face."""
        if self.reference_table is None:
            return face
        ffi, hb = self.ffi, self.hb
        address = int(ffi.cast("uintptr_t", face))
        if address not in self.cff_faces:
            source = hb.hb_face_reference(face)
            view = hb.hb_face_create_for_tables(self.reference_table, source, ffi.NULL)
            hb.hb_face_set_upem(view, hb.hb_face_get_upem(source))
            hb.hb_face_set_glyph_count(view, hb.hb_face_get_glyph_count(source))
            self.cff_faces[address] = (source, view)
        return self.cff_faces[address][1]

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
        face = hb_subset.hb_subset_or_fail(self.cff_face(font.hb_face), subset_input)
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


class LazyFontProgram:
    """``Font.file_content`` read from the HarfBuzz face the first time it is used.

    WeasyPrint's ``Font.__init__`` sets it to a copy of the whole font file; our subsetting
    replaces it unread. Installed in the worker only: while WeasyPrint's ``__init__`` runs, its
    module's ``get_hb_object_data`` answers None for the font (the worker renders one document
    at a time, in one thread), and the descriptor reads the face when the program is wanted
    (WeasyPrint's own subsetting of a font we could not subset, variable and colour fonts).
    """

    def __init__(self, face_data: Any) -> None:
        self.face_data = face_data

    @classmethod
    def install(cls, fonts: Any) -> None:
        face_data = fonts.get_hb_object_data
        weasyprint_init = fonts.Font.__init__

        def init(font: Any, *args: Any, **kwargs: Any) -> None:
            fonts.get_hb_object_data = _no_data
            try:
                weasyprint_init(font, *args, **kwargs)
            finally:
                fonts.get_hb_object_data = face_data

        fonts.Font.file_content = cls(face_data)
        fonts.Font.__init__ = init

    def __get__(self, font: Any, owner: type | None = None) -> Any:
        if font is None:
            return self
        program = font.__dict__.get("_program")
        if program is None:
            program = font.__dict__["_program"] = self.face_data(font.hb_face)
        return program

    def __set__(self, font: Any, program: bytes | None) -> None:
        font.__dict__["_program"] = program


def _no_data(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> None:
    return None


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
