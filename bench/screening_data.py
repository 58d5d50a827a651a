# ruff: noqa: RUF001 - the homoglyph table spells look-alike letters
"""Generate the frozen, independent screening evaluation set under `bench/data/screening/`.

Deterministic: seeded, and no output depends on set or hash order (two runs under any
PYTHONHASHSEED write identical files).

Independent of the matcher on purpose: this module never imports `domain.screening` (no
normaliser, no tokeniser, no loader). It reads the vendored OFAC SDN and UN files with the
standard library, writes names the way clerks and evaders do with its own rules, and
labels pairs from the lists' own structure (same `ent_num` = same party). The matcher is
tuned on the `tune` split only; the `test` split is what the README reports.

The split is by listed entity (a sha256 of source and id), so no entity, alias or
perturbation of it appears in both splits; customers come from different Faker seeds.

Files (CSV, UTF-8), each written as `<kind>_<split>.csv`:
  pairs        name1,name2,schema,label,family   labelled name pairs
  queries      query_id,name,schema,family,op,source,source_id   perturbed SDN names
  customers    query_id,name,schema,locale      realistic non-listed parties

Usage: python bench/screening_data.py [--out bench/data/screening]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from anyascii import anyascii
from faker import Faker
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
SANCTIONS = ROOT / "data" / "sanctions"
OUT = Path(__file__).resolve().parent / "data" / "screening"
SEED = 20261202
SPLITS = ("tune", "test")

PERSON_LOCALES = (
    "en_US en_GB de_DE fr_FR es_MX pt_BR it_IT pl_PL tr_TR en_PK ha_NG yo_NG id_ID "
    "vi_VN ru_RU zh_CN sv_SE nl_NL en_IN"
).split()
"""Europe's and the diaspora's customers; ru_RU stays in Cyrillic, zh_CN is romanised."""
COMPANY_LOCALES = "en_US en_GB de_DE fr_FR es_MX it_IT pl_PL tr_TR pt_BR nl_NL sv_SE fil_PH".split()
GENERIC_COMPANY_WORDS = (
    "Trading International Bank Holding Group Shipping Petroleum Investment Industries "
    "General Import Export Logistics Energy Commercial Services Development Marine "
    "Technology Engineering Construction Oil Gas Finance Capital Global"
).split()
LEGAL_FORMS = "LLC Ltd Limited Inc GmbH SA SRL BV AB Co. Corp. PLC FZE JSC OOO".split()

COMMON_TOKENS = {
    "arabic": set(
        "muhammad mohammed mohamed mohammad ahmad ahmed ali hassan hasan hussein husayn "
        "abdul abd abdullah abdallah abu bin ibrahim khalid omar umar yusuf salim".split()
    ),
    "hispanic": set(
        "jose luis carlos maria juan garcia rodriguez lopez hernandez martinez gonzalez "
        "perez sanchez ramirez torres flores gomez diaz jesus antonio".split()
    ),
    "east_asian": set(
        "kim lee li park choi wang zhang chen liu yang jong chol song yong il nam su "
        "hyok chun ho".split()
    ),
}

HONORIFICS = ["Mr", "Mr.", "Mrs", "Dr.", "Dr", "Sheikh", "Haji", "Prof.", "Mister", "Sayyid"]
DIACRITICS = {
    "a": "áàâä",
    "e": "éèêë",
    "i": "íïî",
    "o": "óöôø",
    "u": "úüû",
    "n": "ñ",
    "c": "ç",
    "s": "ş",
    "g": "ğ",
}
HOMOGLYPHS = {
    "a": "а",
    "e": "е",
    "o": "оο0",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "i": "і1",
    "l": "1",
    "A": "АΑ",
    "B": "ВΒ",
    "E": "ЕΕ",
    "H": "НΗ",
    "K": "КΚ",
    "M": "МΜ",
    "O": "ОΟ0",
    "P": "РΡ",
    "C": "С",
    "T": "ТΤ",
    "X": "ХΧ",
    "I": "І1",
}
TRANSLIT_RULES = [
    (r"\bmohammed\b", "muhammad"),
    (r"\bmuhammad\b", "mohamed"),
    (r"\bmohamed\b", "mohammad"),
    (r"\bhussein\b", "husayn"),
    (r"\bhusayn\b", "hussain"),
    (r"\bhasan\b", "hassan"),
    (r"\byusuf\b", "yousef"),
    (r"\babdul", "abdel"),
    (r"\babd al", "abdul"),
    (r"kh", "h"),
    (r"q", "k"),
    (r"ou", "u"),
    (r"u", "ou"),
    (r"j", "dj"),
    (r"dh", "z"),
    (r"sh", "sch"),
    (r"ch", "tch"),
    (r"ph", "f"),
    (r"ee", "i"),
    (r"oo", "u"),
    (r"ei", "ai"),
    (r"ai", "ei"),
    (r"ov\b", "off"),
    (r"ev\b", "ew"),
    (r"iy\b", "i"),
    (r"y", "i"),
    (r"ya", "ia"),
    (r"yu", "iu"),
    (r"x", "ks"),
    (r"ks", "x"),
    (r"ts", "tz"),
    (r"w", "v"),
    (r"v", "w"),
    (r"z", "s"),
    (r"c(?=[aou])", "k"),
    (r"ll", "l"),
    (r"ss", "s"),
    (r"mm", "m"),
]
KEYBOARD = {
    c: n
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i, c in enumerate(row)
    for n in [row[max(i - 1, 0)] + row[min(i + 1, len(row) - 1)]]
}
NOISE_CHARS = ["\u200b", "\u200d", "\u00ad", ".", "-", "'", "*"]


@dataclass
class Entity:
    source: str
    source_id: str
    schema: str  # "Person" or "Organization"
    name: str
    akas: list[str] = field(default_factory=list)
    dobs: set[str] = field(default_factory=set)

    @property
    def split(self) -> str:
        digest = hashlib.sha256(f"{self.source}:{self.source_id}".encode()).digest()
        return SPLITS[digest[0] % 2]


def natural(name: str, schema: str) -> str:
    """OFAC writes persons 'SURNAME, Given'; customers write 'Given Surname'."""
    if schema == "Person" and name.count(",") == 1:
        surname, given = (p.strip() for p in name.split(","))
        if surname and given:
            return f"{given} {surname.title() if surname.isupper() else surname}"
    return name


def fold(text: str) -> list[str]:
    """Generator-side token set: ASCII, lower case, alphanumeric runs (own rules)."""
    return re.findall(r"[a-z0-9]+", anyascii(text).lower().replace("'", ""))


def load_sdn() -> list[Entity]:
    """sdn.csv + alt.csv, persons and organisations only (vessels, aircraft left out)."""
    entities: dict[str, Entity] = {}
    with (SANCTIONS / "ofac" / "sdn.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 12:
                continue
            kind = row[2].strip().lower()
            schema = {"individual": "Person", "-0-": "Organization"}.get(kind)
            if schema is None:
                continue
            entity = Entity("ofac_sdn", row[0].strip(), schema, row[1].strip())
            entity.dobs = set(re.findall(r"DOB ([^;.]+)", row[11]))
            entities[entity.source_id] = entity
    with (SANCTIONS / "ofac" / "alt.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 4 and row[2].strip().lower() == "aka":
                found = entities.get(row[0].strip())
                if found is not None and row[3].strip():
                    found.akas.append(row[3].strip())
    return list(entities.values())


def load_un_translations() -> list[tuple[Entity, str]]:
    """UN entries that publish their name in the original script beside the Latin one."""
    root = ET.parse(SANCTIONS / "un" / "consolidated.xml").getroot()  # noqa: S314 - vendored
    out: list[tuple[Entity, str]] = []
    for tag, schema, parts in (
        ("INDIVIDUALS/INDIVIDUAL", "Person", ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")),
        ("ENTITIES/ENTITY", "Organization", ("FIRST_NAME",)),
    ):
        for el in root.findall(tag):
            original = (el.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
            latin = " ".join((el.findtext(p) or "").strip() for p in parts).split()
            if original and latin and not original.isascii():
                entity = Entity("un_sc", (el.findtext("DATAID") or "").strip(), schema, "")
                entity.name = " ".join(latin)
                out.append((entity, original))
    return out


# ---------------------------------------------------------------- perturbations


def _tokens(text: str) -> list[str]:
    return text.split()


def op_case(rng: random.Random, name: str, schema: str) -> str:
    return rng.choice([name.upper(), name.lower(), name.title()])


def op_spacing(rng: random.Random, name: str, schema: str) -> str:
    if "-" in name and rng.random() < 0.5:
        return name.replace("-", rng.choice([" ", ""]))
    return rng.choice(["  ", " \t", " "]).join(_tokens(name)) + rng.choice(["", " ", "  "])


def op_order(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    if schema != "Person" or len(toks) < 2:
        return op_legal_form(rng, name, schema) if schema != "Person" else name
    if rng.random() < 0.5:
        return f"{toks[-1]}, {' '.join(toks[:-1])}"
    return " ".join([toks[-1], *toks[:-1]])


def op_diacritics(rng: random.Random, name: str, schema: str) -> str:
    chars = list(name)
    spots = [i for i, c in enumerate(chars) if c.lower() in DIACRITICS]
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
        accented = rng.choice(DIACRITICS[chars[i].lower()])
        chars[i] = accented.upper() if chars[i].isupper() else accented
    return "".join(chars)


def op_honorific(rng: random.Random, name: str, schema: str) -> str:
    if schema != "Person":
        return op_legal_form(rng, name, schema)
    return f"{rng.choice(HONORIFICS)} {name}"


def op_legal_form(rng: random.Random, name: str, schema: str) -> str:
    swaps = [
        (r"\bLIMITED\b", "LTD."),
        (r"\bLTD\.?", "Limited"),
        (r"\bCOMPANY\b", "Co."),
        (r"\bCO\.?(?=,|\s|$)", "Company"),
        (r"\bLLC\b", "L.L.C."),
        (r"\bCORPORATION\b", "Corp."),
        (r"\bINC\.?", "Incorporated"),
        (r"\bS\.A\.", "SA"),
    ]
    for pattern, repl in rng.sample(swaps, len(swaps)):
        changed = re.sub(pattern, repl, name, count=1, flags=re.IGNORECASE)
        if changed != name:
            return changed
    return f"{name} {rng.choice(LEGAL_FORMS)}"


def op_typo(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    idx = [i for i, t in enumerate(toks) if len(t) >= 4 and t.isalpha()]
    if not idx:
        return name
    i = rng.choice(idx)
    tok = toks[i]
    pos = rng.randrange(1, len(tok) - 1)
    kind = rng.choice(["keyboard", "delete", "insert", "transpose"])
    low = tok[pos].lower()
    if kind == "keyboard" and low in KEYBOARD:
        ch = rng.choice(KEYBOARD[low])
        tok = tok[:pos] + (ch.upper() if tok[pos].isupper() else ch) + tok[pos + 1 :]
    elif kind == "delete":
        tok = tok[:pos] + tok[pos + 1 :]
    elif kind == "insert":
        tok = tok[:pos] + tok[pos] + tok[pos:]
    else:
        tok = tok[:pos] + tok[pos + 1] + tok[pos] + tok[pos + 2 :]
    toks[i] = tok
    return " ".join(toks)


def op_drop_token(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    if len(toks) < 3:
        return op_typo(rng, name, schema)
    drop = rng.randrange(1, len(toks) - 1) if schema == "Person" else rng.randrange(1, len(toks))
    return " ".join(t for i, t in enumerate(toks) if i != drop)


def op_initials(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    if schema != "Person" or len(toks) < 2:
        return op_truncate(rng, name, schema)
    i = rng.randrange(0, len(toks) - 1)
    toks[i] = toks[i][0] + rng.choice([".", ""])
    return " ".join(toks)


def op_truncate(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    if len(name) > 24 and rng.random() < 0.5:
        cut = name[: rng.randint(20, 24)].rstrip()
        return cut if len(_tokens(cut)) >= 2 else name
    last = toks[-1]
    if len(last) >= 7:
        toks[-1] = last[: rng.randint(5, len(last) - 2)]
        return " ".join(toks)
    return op_typo(rng, name, schema)


def op_homoglyph(rng: random.Random, name: str, schema: str) -> str:
    chars = list(name)
    spots = [i for i, c in enumerate(chars) if c in HOMOGLYPHS]
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        chars[i] = rng.choice(HOMOGLYPHS[chars[i]])
    return "".join(chars)


def op_translit(rng: random.Random, name: str, schema: str) -> str:
    low = " ".join(fold(name))
    rules = [(p, r) for p, r in TRANSLIT_RULES if re.search(p, low)]
    if not rules:
        return op_typo(rng, name, schema)
    for pattern, repl in rng.sample(rules, min(len(rules), rng.randint(1, 2))):
        low = re.sub(pattern, repl, low, count=1)
    return low.title() if rng.random() < 0.5 else low.upper()


def op_noise(rng: random.Random, name: str, schema: str) -> str:
    toks = _tokens(name)
    idx = [i for i, t in enumerate(toks) if len(t) >= 4]
    if not idx:
        return name + rng.choice([" .", " -", " *"])
    i = rng.choice(idx)
    tok = toks[i]
    pos = rng.randrange(1, len(tok) - 1)
    roll = rng.random()
    if roll < 0.6:
        tok = tok[:pos] + rng.choice(NOISE_CHARS) + tok[pos:]
    else:
        tok = tok[:pos] + tok[pos] + tok[pos:]  # doubled letter
    toks[i] = tok
    sep = rng.choice([" ", " ", "_", " / ", ", "]) if rng.random() < 0.3 else " "
    return sep.join(toks)


Op = Callable[[random.Random, str, str], str]
FAMILIES: dict[str, list[tuple[str, Op]]] = {
    "benign": [
        ("case", op_case),
        ("spacing", op_spacing),
        ("order", op_order),
        ("diacritics", op_diacritics),
        ("honorific", op_honorific),
    ],
    "degraded": [
        ("typo", op_typo),
        ("drop_token", op_drop_token),
        ("initials", op_initials),
        ("truncation", op_truncate),
    ],
    "adversarial": [
        ("homoglyph", op_homoglyph),
        ("translit", op_translit),
        ("noise", op_noise),
    ],
}


def perturb(rng: random.Random, name: str, schema: str, family: str) -> tuple[str, str] | None:
    """One or two ops of the family (a benign op is added to degraded/adversarial sometimes)."""
    ops = FAMILIES[family]
    count = 2 if family == "benign" else 1
    chosen = rng.sample(ops, min(count, len(ops)))
    out = name
    for _, fn in chosen:
        out = fn(rng, out, schema)
    labels = [label for label, _ in chosen]
    if family != "benign" and rng.random() < 0.3:
        out = op_case(rng, out, schema)
        labels.append("case")
    if out.strip() == name.strip() or not fold(out):
        return None
    return out, "+".join(labels)


# ---------------------------------------------------------------- writers


def write(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    path.write_text(buf.getvalue(), encoding="utf-8")
    return n


def strong_names(e: Entity) -> list[str]:
    names = [natural(e.name, e.schema)]
    for aka in e.akas:
        nat = natural(aka, e.schema)
        if set(fold(nat)) != set(fold(names[0])) and nat not in names:
            names.append(nat)
    return names


def same_party(a: Entity, b: Entity) -> bool:
    if a.dobs & b.dobs:
        return True
    na = {" ".join(sorted(fold(n))) for n in strong_names(a)}
    nb = {" ".join(sorted(fold(n))) for n in strong_names(b)}
    return bool(na & nb)


def build_pairs(
    rng: random.Random,
    ents: list[Entity],
    trans: list[tuple[Entity, str]],
    customers: list[tuple[str, str]],
    companies: list[str],
) -> list[list[str]]:
    rows: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def add(a: str, b: str, schema: str, label: int, family: str) -> None:
        key = frozenset({a.casefold(), b.casefold()})
        if key not in seen:  # each unordered pair once
            seen.add(key)
            rows.append([a, b, schema, str(label), family])

    # positives: a.k.a. (strong OFAC 'aka' aliases that differ from the primary)
    with_aka = [e for e in ents if len(strong_names(e)) > 1]
    for e in rng.sample(with_aka, min(300, len(with_aka))):
        names = strong_names(e)
        other = rng.choice(names[1:])
        primary = names[0] if rng.random() < 0.5 else e.name
        add(primary, other, e.schema, 1, f"aka_{e.schema.lower()}")
    # positives: translations (UN original-script names)
    for entity, original in trans:
        add(entity.name, original, entity.schema, 1, "translation")
    # positives: perturbations of one name
    for family in FAMILIES:
        for e in rng.sample(ents, 200):
            base = rng.choice(strong_names(e))
            made = perturb(rng, base, e.schema, family)
            if made:
                add(base, made[0], e.schema, 1, f"variant_{family}")

    persons = [e for e in ents if e.schema == "Person" and e.name.count(",") == 1]
    orgs = [e for e in ents if e.schema == "Organization"]

    def grouped(key: Callable[[Entity], str]) -> list[list[Entity]]:
        groups: dict[str, list[Entity]] = defaultdict(list)
        for e in persons:
            if k := key(e):
                groups[k].append(e)
        return [g for g in groups.values() if len(g) > 1]

    def negatives(groups: list[list[Entity]], n: int, family: str, schema: str) -> None:
        made, tries = 0, 0
        while made < n and tries < n * 20 and groups:
            tries += 1
            a, b = rng.sample(rng.choice(groups), 2)
            if same_party(a, b):
                continue
            before = len(rows)
            add(natural(a.name, schema), natural(b.name, schema), schema, 0, family)
            made += len(rows) - before

    negatives(
        grouped(lambda e: " ".join(fold(e.name.split(",")[0]))), 250, "neg_same_surname", "Person"
    )
    negatives(
        grouped(lambda e: " ".join(fold(e.name.split(",")[1]))), 150, "neg_same_given", "Person"
    )
    for culture, tokens in COMMON_TOKENS.items():
        by_token: dict[str, list[Entity]] = defaultdict(list)
        for e in persons:
            for t in sorted(set(fold(e.name)) & tokens):
                by_token[t].append(e)
        negatives(
            [g for g in by_token.values() if len(g) > 1], 90, f"neg_common_{culture}", "Person"
        )
    generic = {w.lower() for w in GENERIC_COMPANY_WORDS}
    by_word: dict[str, list[Entity]] = defaultdict(list)
    for e in orgs:
        for t in sorted(set(fold(e.name)) & generic):
            by_word[t].append(e)
    word_groups = [g for g in by_word.values() if len(g) > 1]
    n_company_pairs = 0
    while n_company_pairs < 250:
        a, b = rng.sample(rng.choice(word_groups), 2)
        if not same_party(a, b):
            before = len(rows)
            add(a.name, b.name, "Organization", 0, "neg_company_words")
            n_company_pairs += len(rows) - before

    # non-listed customers vs their nearest listed name (WRatio, not Clearway's matcher)
    person_names = [natural(e.name, e.schema) for e in persons]
    org_names = [e.name for e in orgs]
    for name, _ in rng.sample(customers, 250):
        best = process.extractOne(name, person_names, scorer=fuzz.WRatio)
        if best is not None:
            add(name, best[0], "Person", 0, "neg_customer_nearest")
    for name in rng.sample(companies, 120):
        best = process.extractOne(name, org_names, scorer=fuzz.WRatio)
        if best is not None:
            add(name, best[0], "Organization", 0, "neg_company_nearest")
    rng.shuffle(rows)
    return rows


def build_queries(rng: random.Random, ents: list[Entity], split: str) -> list[list[str]]:
    rows: list[list[str]] = []
    plan = [("exact", 250), ("benign", 500), ("degraded", 500), ("adversarial", 500)]
    for family, n in plan:
        made = 0
        while made < n:
            e = rng.choice(ents)
            names = strong_names(e)
            base = names[0] if rng.random() < 0.7 or len(names) == 1 else rng.choice(names[1:])
            if family == "exact":
                query, op = base, "none"
            else:
                found = perturb(rng, base, e.schema, family)
                if found is None:
                    continue
                query, op = found
            made += 1
            rows.append(
                [f"{split}-{family}-{made}", query, e.schema, family, op, e.source, e.source_id]
            )
    return rows


def build_customers(
    seed: int, listed: set[str], n_persons: int, n_companies: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """Distinct Faker persons and companies whose token set is no listed name's token set."""
    rng = random.Random(seed)
    fakers: dict[str, Faker] = {}
    for loc in sorted({*PERSON_LOCALES, *COMPANY_LOCALES}):
        fakers[loc] = Faker(loc)
        fakers[loc].seed_instance(seed + sum(map(ord, loc)))
    persons: list[tuple[str, str]] = []
    taken: set[str] = set()
    while len(persons) < n_persons:
        loc = PERSON_LOCALES[len(persons) % len(PERSON_LOCALES)]
        fk = fakers[loc]
        if loc == "zh_CN":
            name = str(fk.romanized_name())
        elif rng.random() < 0.5:
            name = f"{fk.first_name()} {fk.last_name()}"
        else:
            name = str(fk.name())
        key = " ".join(sorted(fold(name)))
        if key not in listed and key not in taken:
            taken.add(key)
            persons.append((name, loc))
    companies: list[str] = []
    while len(companies) < n_companies:
        if len(companies) % 2 == 0:
            loc = COMPANY_LOCALES[len(companies) // 2 % len(COMPANY_LOCALES)]
            name = str(fakers[loc].company())
        else:
            loc = PERSON_LOCALES[len(companies) // 2 % len(PERSON_LOCALES)]
            surname = (
                fakers[loc].last_name() if loc != "zh_CN" else fakers[loc].last_romanized_name()
            )
            words = rng.sample(GENERIC_COMPANY_WORDS, rng.randint(1, 2))
            name = " ".join([str(surname), *words, rng.choice(LEGAL_FORMS)])
        key = " ".join(sorted(fold(name)))
        if key not in listed and key not in taken:
            taken.add(key)
            companies.append(name)
    return persons, companies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sdn = load_sdn()
    trans = load_un_translations()
    listed = {
        " ".join(sorted(fold(n))) for e in sdn for n in [e.name, *e.akas, natural(e.name, e.schema)]
    }
    for n, split in enumerate(SPLITS):
        rng = random.Random(SEED + n)
        ents = [e for e in sdn if e.split == split]
        tr = [(e, o) for e, o in trans if e.split == split]
        persons, companies = build_customers(SEED + 100 + n, listed, 1000, 500)
        pairs = build_pairs(rng, ents, tr, persons, companies)
        queries = build_queries(rng, ents, split)
        counts = [
            write(
                args.out / f"pairs_{split}.csv",
                ["name1", "name2", "schema", "label", "family"],
                pairs,
            ),
            write(
                args.out / f"queries_{split}.csv",
                ["query_id", "name", "schema", "family", "op", "source", "source_id"],
                queries,
            ),
            write(
                args.out / f"customers_{split}.csv",
                ["query_id", "name", "schema", "locale"],
                [[f"{split}-p{i}", name, "Person", loc] for i, (name, loc) in enumerate(persons)]
                + [
                    [f"{split}-c{i}", name, "Organization", "mixed"]
                    for i, name in enumerate(companies)
                ],
            ),
        ]
        print(
            f"{split}: {len(ents)} SDN entities, pairs {counts[0]}, queries {counts[1]}, "
            f"customers {counts[2]}"
        )


if __name__ == "__main__":
    main()
