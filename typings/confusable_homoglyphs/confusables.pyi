# Each character (or string) of Unicode's confusables.txt, with the glyphs it is confused with:
# ``c`` the glyph, ``n`` its name.
confusables_data: dict[str, list[dict[str, str]]]
