"""How common each name token is, across the sanctions lists and a customer population.

A shared "mohammed", "kim", "garcia" or "trading" says little about whether two names
mean one party; a shared "nasrallah" says a lot. The matcher weighs each token by its
inverse document frequency over a reference population of names: every name on the
vendored lists (OFAC SDN, OFAC consolidated, UN) plus a synthetic customer base (Faker
persons and companies across many locales, standing in for a bank's customers, whose
names otherwise never appear on lists and so would all look rare).

The table is built offline and shipped (`token_freq.json`, a few hundred kB): screening
must not depend on which lists a worker happens to have loaded, so that a name scores the
same in onboarding, in `clearway screen pairs` and in a delta re-screening. Rebuild it when
the normaliser changes: `python -m domain.screening.frequencies` (needs the dev extra,
for Faker).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "token_freq.json"
MIN_COUNT = 2
"""Tokens seen once are left out of the table: an unknown token is rare by definition."""
CUSTOMER_LOCALES = (
    "en_US en_GB en_IE en_AU en_CA en_NZ en_ZA en_IN en_PK en_NG de_DE de_AT de_CH fr_FR "
    "fr_CA fr_CH es_ES es_MX es_AR es_CO es_CL pt_PT pt_BR it_IT nl_NL nl_BE sv_SE no_NO "
    "da_DK fi_FI pl_PL cs_CZ sk_SK hu_HU ro_RO hr_HR sl_SI lt_LT lv_LV et_EE tr_TR az_AZ "
    "id_ID vi_VN fil_PH tl_PH sw yo_NG ha_NG ig_NG zu_ZA ru_RU uk_UA bg_BG el_GR ka_GE "
    "hy_AM zh_CN zh_TW ja_JP ko_KR"
).split()
CUSTOMERS_PER_LOCALE = 400
COMPANIES_PER_LOCALE = 60
SEED = 424242


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, int], int]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    return dict(data["counts"]), int(data["documents"])


@lru_cache(maxsize=131072)
def idf(token: str) -> float:
    """ln(N / df) of the token in the reference population; unseen tokens count as df 1."""
    counts, documents = _table()
    return math.log(documents / counts.get(token, 1))


def max_idf() -> float:
    return math.log(_table()[1])


def build() -> dict[str, object]:
    """Count tokens over list names + a seeded Faker customer base (deterministic)."""
    from faker import Faker  # dev-only: the table ships built

    from clearway.settings import default_sanctions_lists
    from domain.screening.loaders import load_lists
    from domain.screening.normalize import name_tokens
    from models.screening import PartySchema

    counts: Counter[str] = Counter()
    documents = 0
    for loaded in load_lists(default_sanctions_lists()):
        for entry in loaded.entries:
            seen: set[str] = set()
            for alias in entry.all_names():
                seen.update(name_tokens(alias.name, entry.schema))
            counts.update(seen)  # one entry is one document, however many aliases it has
            documents += 1
    for n, locale in enumerate(CUSTOMER_LOCALES):
        try:
            fake = Faker(locale)
        except AttributeError:
            continue
        fake.seed_instance(SEED + n)
        for _ in range(CUSTOMERS_PER_LOCALE):
            counts.update(set(name_tokens(f"{fake.first_name()} {fake.last_name()}")))
            documents += 1
        for _ in range(COMPANIES_PER_LOCALE):
            counts.update(set(name_tokens(str(fake.company()), PartySchema.COMPANY)))
            documents += 1
    kept = {t: c for t, c in sorted(counts.items()) if c >= MIN_COUNT}
    return {"documents": documents, "counts": kept}


if __name__ == "__main__":
    table = build()
    TABLE.write_text(json.dumps(table, ensure_ascii=True, separators=(",", ":")) + "\n")
    counts = table["counts"]
    assert isinstance(counts, dict)
    print(f"wrote {TABLE}: {table['documents']} documents, {len(counts)} tokens")
