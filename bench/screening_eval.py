"""Labelled evaluation of the name matcher and of end-to-end search, from the real lists.

Pairs (name-only, `score_names`):
  positives  aka        primary name vs a strong alias of the same entry (only aliases that
                        differ from the primary after normalisation; includes translations
                        and acronyms, which no name matcher can bridge)
             variant    a listed name vs a perturbation: typo, transliteration, token
                        reordering, dropped middle name, initial, reorder+typo
  negatives  surname    two persons of different entries sharing a surname token
             similar    a name vs the most similar name of a *different* entry of the same
                        list (excluding entries sharing a birth date: likely one person)
             random     a generated name absent from the lists vs its closest listed name
Search (`SanctionsIndex.search`): each variant query must return its entry; each random
name should return nothing.

Seeded, so two runs give the same set. Usage: python bench/screening_eval.py [--threshold T]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from clearway.settings import get_settings
from domain.screening.entities import ListEntry
from domain.screening.index import SanctionsIndex
from domain.screening.loaders import load_lists
from domain.screening.matcher import score_names
from domain.screening.normalize import ORG_SCHEMAS, ascii_fold, normalize_name
from models.screening import PartySchema, ScreenPartyInput

SEED = 20240601

TRANSLIT = [
    ("mohammed", "muhammad"),
    ("muhammad", "mohamed"),
    ("mohamed", "mohammad"),
    ("hussein", "husayn"),
    ("husayn", "hussain"),
    ("yusuf", "yousef"),
    ("kh", "h"),
    ("q", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("y", "i"),
    ("ph", "f"),
    ("sh", "sch"),
    ("j", "dj"),
    ("dh", "d"),
    ("th", "t"),
    ("ai", "ei"),
    ("ei", "ai"),
    ("ss", "s"),
    ("ll", "l"),
    ("mm", "m"),
    ("ov ", "off "),
    ("ev ", "eff "),
    ("ch", "tch"),
    ("abdul ", "abdel "),
    ("abd al", "abdul"),
    ("al ", "el "),
    ("u", "ou"),
    ("c", "k"),
    ("v", "w"),
    ("z", "s"),
]
FIRST = (
    "anna maria lars erik johan karin ingrid sven olof astrid emma oliver james sarah "
    "michael emily thomas laura hans klaus petra jurgen sabine carlos lucia javier sofia "
    "pablo elena marco giulia luca francesca pierre camille louis chloe dmitri olga sergei "
    "natalia ivan tatiana wei li mei jun hiroshi yuki kenji priya arjun ravi ananya omar "
    "layla karim nadia yusuf fatima samir leila tariq amina"
).split()
LAST = (
    "eriksson svensson johansson lindqvist bergstrom nilsson smith johnson brown taylor "
    "wilson davies muller schmidt schneider fischer weber becker garcia martinez lopez "
    "gonzalez fernandez rossi russo ferrari esposito bianchi dubois moreau laurent lefebvre "
    "ivanova petrov smirnov kuznetsova popov wang zhang liu chen yang tanaka suzuki "
    "takahashi sharma patel gupta singh haddad khoury nasser saleh mansour hamdan"
).split()


@dataclass
class Pair:
    name1: str
    name2: str
    schema: PartySchema
    label: int
    kind: str


def natural(entry: ListEntry) -> list[str]:
    names = [a.name for a in entry.all_names() if not a.weak]
    if entry.schema is PartySchema.PERSON:
        names = [n for n in names if "," not in n] or names
    return names


def typo(rng: random.Random, text: str) -> str:
    tokens = text.split()
    idx = [i for i, t in enumerate(tokens) if len(t) >= 4]
    if not idx:
        return text
    i = rng.choice(idx)
    tok = tokens[i]
    pos = rng.randrange(1, len(tok))
    op = rng.choice(["sub", "del", "ins", "swap"])
    letter = rng.choice(string.ascii_lowercase)
    if op == "sub":
        tok = tok[:pos] + letter + tok[pos + 1 :]
    elif op == "del":
        tok = tok[:pos] + tok[pos + 1 :]
    elif op == "ins":
        tok = tok[:pos] + letter + tok[pos:]
    elif pos < len(tok) - 1:
        tok = tok[:pos] + tok[pos + 1] + tok[pos] + tok[pos + 2 :]
    tokens[i] = tok
    return " ".join(tokens)


def translit(rng: random.Random, text: str) -> str:
    low = ascii_fold(text) + " "
    rules = [(a, b) for a, b in TRANSLIT if a in low]
    if not rules:
        return typo(rng, low.strip())
    for a, b in rng.sample(rules, min(2, len(rules))):
        low = low.replace(a, b, 1)
    return low.strip()


def perturb(rng: random.Random, text: str, schema: PartySchema) -> tuple[str, str] | None:
    tokens = ascii_fold(text).split()
    kinds = ["typo", "translit", "reorder", "reorder+typo"]
    if schema is PartySchema.PERSON and len(tokens) >= 3:
        kinds.append("drop_middle")
    if schema is PartySchema.PERSON and len(tokens) >= 2:
        kinds.append("initial")
    kind = rng.choice(kinds)
    out = " ".join(tokens)
    if kind == "typo":
        out = typo(rng, out)
    elif kind == "translit":
        out = translit(rng, out)
    elif kind in ("reorder", "reorder+typo"):
        if len(tokens) < 2:
            return None
        shuffled = tokens[:]
        while shuffled == tokens:
            rng.shuffle(shuffled)
        out = " ".join(shuffled)
        if kind == "reorder+typo":
            out = typo(rng, out)
    elif kind == "drop_middle":
        drop = rng.randrange(1, len(tokens) - 1)
        out = " ".join(t for i, t in enumerate(tokens) if i != drop)
    elif kind == "initial":
        out = " ".join([tokens[0][0] + ".", *tokens[1:]])
    if out == " ".join(tokens):
        return None
    return out, kind


def build_pairs(entries: list[ListEntry], rng: random.Random) -> tuple[list[Pair], list[str]]:
    pairs: list[Pair] = []
    screenable = [e for e in entries if e.schema is PartySchema.PERSON or e.schema in ORG_SCHEMAS]

    # aka positives
    with_alias = [e for e in screenable if len(natural(e)) > 1]
    for e in rng.sample(with_alias, min(500, len(with_alias))):
        names = natural(e)
        primary_key = normalize_name(names[0], e.schema).sort_key
        others = [n for n in names[1:] if normalize_name(n, e.schema).sort_key != primary_key]
        if others:
            pairs.append(Pair(names[0], rng.choice(others), e.schema, 1, "aka"))

    # perturbation positives
    for e in rng.sample(screenable, 1500):
        name = rng.choice(natural(e))
        made = perturb(rng, name, e.schema)
        if made:
            pairs.append(Pair(name, made[0], e.schema, 1, "variant:" + made[1]))

    # shared-surname negatives (OFAC "SURNAME, Given" tells us which token is the surname)
    by_surname: dict[str, list[ListEntry]] = defaultdict(list)
    for e in screenable:
        if e.schema is PartySchema.PERSON and e.name.count(",") == 1:
            by_surname[ascii_fold(e.name.split(",")[0])].append(e)
    groups = [g for g in by_surname.values() if len(g) > 1]
    for _ in range(700):
        a, b = rng.sample(rng.choice(groups), 2)
        ka, kb = (set(normalize_name(x.name).tokens) for x in (a, b))
        if ka != kb and not (ka <= kb or kb <= ka) and not _same_person(a, b):
            pairs.append(Pair(natural(a)[0], natural(b)[0], PartySchema.PERSON, 0, "surname"))

    # most-similar different entry of the same list
    by_source: dict[str, list[tuple[str, ListEntry]]] = defaultdict(list)
    for e in screenable:
        for n in natural(e):
            by_source[e.source].append((n, e))
    for e in rng.sample(screenable, 700):
        pool = by_source[e.source]
        name = natural(e)[0]
        found = process.extract(name, [n for n, _ in pool], scorer=fuzz.token_sort_ratio, limit=8)
        for _, _, pos in found:
            other_name, other = pool[pos]
            if other is e or _same_person(e, other):
                continue
            k1 = normalize_name(name, e.schema).sort_key
            k2 = normalize_name(other_name, other.schema).sort_key
            if k1 != k2:
                pairs.append(Pair(name, other_name, e.schema, 0, "similar"))
            break

    # generated names absent from the lists vs their closest listed name
    listed = {normalize_name(n).sort_key for e in screenable for n in natural(e)}
    all_names = [n for e in screenable if e.schema is PartySchema.PERSON for n in natural(e)]
    randoms: list[str] = []
    while len(randoms) < 800:
        parts = [rng.choice(FIRST)]
        if rng.random() < 0.3:
            parts.append(rng.choice(FIRST))
        parts.append(rng.choice(LAST))
        candidate = " ".join(p.capitalize() for p in parts)
        if normalize_name(candidate).sort_key not in listed:
            randoms.append(candidate)
    for name in randoms:
        best = process.extractOne(name, all_names, scorer=fuzz.token_sort_ratio)
        if best is not None:
            pairs.append(Pair(name, best[0], PartySchema.PERSON, 0, "random"))
    return pairs, randoms


def _same_person(a: ListEntry, b: ListEntry) -> bool:
    return bool({str(d) for d in a.birth_dates} & {str(d) for d in b.birth_dates})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=None)
    args, _ = parser.parse_known_args()
    settings = get_settings()
    threshold = args.threshold if args.threshold is not None else settings.screening_threshold
    rng = random.Random(SEED)
    lists = load_lists(settings.sanctions_lists)
    entries = [e for loaded in lists for e in loaded.entries]
    started = time.perf_counter()
    pairs, randoms = build_pairs(entries, rng)
    print(f"built {len(pairs)} pairs in {time.perf_counter() - started:.1f}s (seed {SEED})")
    scores = [score_names(p.name1, p.name2, p.schema.value) for p in pairs]
    labels = [p.label for p in pairs]

    def report(title: str, idx: list[int]) -> None:
        y = [labels[i] for i in idx]
        s = [scores[i] for i in idx]
        pred = [int(v >= threshold) for v in s]
        auc = roc_auc_score(y, s) if len(set(y)) == 2 else float("nan")
        print(
            f"{title:<28} n={len(idx):5d} pos={sum(y):5d} "
            f"P={precision_score(y, pred, zero_division=0):.3f} "
            f"R={recall_score(y, pred, zero_division=0):.3f} "
            f"F1={f1_score(y, pred, zero_division=0):.3f} AUC={auc:.4f}"
        )

    everything = list(range(len(pairs)))
    no_aka = [i for i in everything if pairs[i].kind != "aka"]
    print(f"\n== pairs at threshold {threshold:.2f}")
    report("all pairs", everything)
    report("variants + negatives", no_aka)
    print("\nper category (share scored >= threshold):")
    kinds = Counter(p.kind for p in pairs)
    for kind in sorted(kinds):
        idx = [i for i in everything if pairs[i].kind == kind]
        above = sum(scores[i] >= threshold for i in idx)
        print(f"  {kind:<24} n={len(idx):5d} above={above / len(idx):.3f}")

    print("\nthreshold sweep (variants + negatives | all pairs):")
    for t in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        row = []
        for idx in (no_aka, everything):
            y = [labels[i] for i in idx]
            pred = [int(scores[i] >= t) for i in idx]
            row.append(
                f"P={precision_score(y, pred, zero_division=0):.3f} "
                f"R={recall_score(y, pred, zero_division=0):.3f} "
                f"F1={f1_score(y, pred, zero_division=0):.3f}"
            )
        print(f"  {t:.2f}  {row[0]}  |  {row[1]}")

    if "--show-errors" in sys.argv:
        for i in everything:
            p = pairs[i]
            if (scores[i] >= threshold) != bool(p.label):
                print(f"  ERR {p.kind:<22} {scores[i]:.3f}  {p.name1!r} ~ {p.name2!r}")

    index = SanctionsIndex(lists)
    by_name: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        for a in e.all_names():
            by_name[a.name].add(e.source_id)
    variants = [p for p in pairs if p.kind.startswith("variant")]
    found = 0
    for n, p in enumerate(variants):
        query = ScreenPartyInput(party_id=f"q{n}", name=p.name2, schema_=p.schema)
        hits = index.search(query, threshold, limit=50)
        found += any(h.source_id in by_name[p.name1] for h in hits)
    alerts = 0
    for n, name in enumerate(randoms):
        alerts += bool(index.search(ScreenPartyInput(party_id=f"r{n}", name=name), threshold))
    print("\n== search (index, blocking + matcher) at threshold", threshold)
    print(
        f"  variant queries finding their entry: {found}/{len(variants)} = "
        f"{found / len(variants):.3f}"
    )
    print(
        f"  generated non-listed names raising any alert: {alerts}/{len(randoms)} = "
        f"{alerts / len(randoms):.3f}"
    )


if __name__ == "__main__":
    main()
