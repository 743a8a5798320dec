"""Language codes: Covisor keeps ISO 639-1 (`es`), Apertium speaks ISO 639-3 (`spa`)."""

from __future__ import annotations

ALPHA3 = {
    "ara": "ar", "arg": "an", "ast": "ast", "bel": "be", "bre": "br", "bul": "bg",
    "cat": "ca", "ces": "cs", "cym": "cy", "dan": "da", "deu": "de", "ell": "el",
    "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "fin": "fi", "fra": "fr",
    "gle": "ga", "glg": "gl", "hin": "hi", "hbs": "sh", "hrv": "hr", "hun": "hu",
    "isl": "is", "ita": "it", "kaz": "kk", "lav": "lv", "lit": "lt", "mkd": "mk",
    "mlt": "mt", "nld": "nl", "nno": "nn", "nob": "nb", "oci": "oc", "pol": "pl",
    "por": "pt", "ron": "ro", "rus": "ru", "slk": "sk", "slv": "sl", "spa": "es",
    "sqi": "sq", "srd": "sc", "swe": "sv", "tat": "tt", "tur": "tr", "ukr": "uk",
    "urd": "ur",
}  # fmt: skip
"""Apertium's ISO 639-3 codes of the languages it pairs, with their ISO 639-1 ones."""


def base(language: str | None) -> str | None:
    """The language of a tag (`es-ES` → `es`, `EN` → `en`), None for none."""
    if not language:
        return None
    return language.split("-")[0].split("_")[0].lower() or None


def from_alpha3(code: str) -> str | None:
    """Covisor's code of an Apertium language (`spa` → `es`; a variant such as `eng_US` is
    not a language of its own: None), None for one Covisor has no two-letter code of."""
    if "_" in code:
        return None
    return ALPHA3.get(code)
