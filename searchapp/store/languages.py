"""Languages of articles: the ISO 639 code the index holds and the name the language facet shows.

Used at index time (the code) and at query time (the facet shows "Arabic" for ``ar``; a filter
``language=Arabic`` or ``language=ar`` selects the same articles), like :mod:`.outlets`.
"""

from __future__ import annotations

from functools import lru_cache

UNDETERMINED = "und"  # ISO 639-2 "undetermined": an article without letters


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """"Arabic" for "ar"; the code itself when ISO 639 does not know it."""
    import pycountry

    if code == UNDETERMINED:
        return "Undetermined"
    found = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return found.name if found else code


@lru_cache(maxsize=256)
def language_key(value: str) -> str:
    """The code of a facet value or filter: "Arabic", "arabic" and "ar" all give "ar"."""
    import pycountry

    value = value.strip()
    lowered = value.lower()
    if lowered in (UNDETERMINED, "undetermined"):
        return UNDETERMINED
    found = pycountry.languages.get(alpha_2=lowered) or pycountry.languages.get(alpha_3=lowered)
    if found is None:
        try:
            found = pycountry.languages.lookup(lowered)
        except LookupError:
            return value
    return getattr(found, "alpha_2", None) or found.alpha_3
