"""`clearway screen …`: screen names against the configured lists from a terminal or CSV.

Compliance officers use `name` to check one party, analysts use `pairs` to label match
decisions and `batch` for look-backs over a customer file; all three read the same lists
and threshold the workers use, so a result here is the result production would give.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import click

from clearway.settings import get_settings
from domain.screening.index import SanctionsIndex, get_index
from domain.screening.matcher import score_names
from models.screening import PartySchema, ScreenPartyInput

_SCHEMAS = click.Choice([s.value for s in PartySchema])


def _index() -> SanctionsIndex:
    return get_index(get_settings().sanctions_lists)


def _threshold(value: float | None) -> float:
    return value if value is not None else get_settings().screening_threshold


def _parse_dob(value: str | None, row: int | None = None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        where = f" (row {row})" if row is not None else ""
        raise click.BadParameter(f"date of birth {value!r}{where} is not YYYY-MM-DD") from exc


@click.group()
def screen() -> None:
    """Sanctions and PEP screening against the configured lists."""


@screen.command("name")
@click.argument("name")
@click.option("--dob", help="Date of birth, YYYY-MM-DD.")
@click.option("--country", help="ISO 3166-1 alpha-2 nationality or country.")
@click.option("--schema", type=_SCHEMAS, default=PartySchema.PERSON.value, show_default=True)
@click.option("--threshold", type=float, help="Override the configured threshold.")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the ScreeningResult as JSON.")
def name_command(
    name: str,
    dob: str | None,
    country: str | None,
    schema: str,
    threshold: float | None,
    limit: int,
    as_json: bool,
) -> None:
    """Screen one NAME and print the hits."""
    query = ScreenPartyInput(
        party_id="cli",
        name=name,
        date_of_birth=_parse_dob(dob),
        country=country.upper() if country else None,
        schema_=PartySchema(schema),
    )
    index = _index()
    result = index.screen(query, _threshold(threshold))
    hits = result.hits[:limit]
    if as_json:
        payload = result.model_copy(update={"hits": hits}).model_dump(mode="json")
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo(f"no hits at threshold {result.threshold:.2f}")
        return
    header = f"{'score':>6}  {'source':<10} {'id':<10} {'matched name':<40} explanation"
    click.echo(header)
    for hit in hits:
        click.echo(
            f"{hit.score:6.3f}  {hit.source:<10} {hit.source_id:<10} "
            f"{hit.matched_name[:40]:<40} {hit.explanation}"
        )


@screen.command("pairs")
@click.argument("in_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_csv", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--threshold", type=float, help="Override the configured threshold.")
def pairs_command(in_csv: Path, out_csv: Path, threshold: float | None) -> None:
    """Score name pairs (columns name1,name2[,schema]) and write score and match."""
    cutoff = _threshold(threshold)
    with in_csv.open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        fields = list(reader.fieldnames or [])
        if not {"name1", "name2"} <= set(fields):
            raise click.UsageError(f"{in_csv} needs columns name1,name2[,schema]")
        rows = list(reader)
    with out_csv.open("w", newline="", encoding="utf-8") as dst:
        writer = csv.DictWriter(dst, fieldnames=[*fields, "score", "match"])
        writer.writeheader()
        for line, row in enumerate(rows, 2):
            schema = (row.get("schema") or PartySchema.PERSON.value).strip()
            if schema not in _SCHEMAS.choices:
                raise click.UsageError(f"{in_csv} line {line}: unknown schema {schema!r}")
            score = score_names(row["name1"], row["name2"], schema)
            writer.writerow({**row, "score": f"{score:.4f}", "match": str(score >= cutoff).lower()})
    click.echo(f"scored {len(rows)} pairs at threshold {cutoff:.2f} -> {out_csv}")


@screen.command("batch")
@click.argument("in_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_csv", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--threshold", type=float, help="Override the configured threshold.")
def batch_command(in_csv: Path, out_csv: Path, threshold: float | None) -> None:
    """Screen parties (columns query_id,name[,dob,country,schema]); one output row per hit."""
    cutoff = _threshold(threshold)
    index = _index()
    queries = 0
    hits = 0
    with in_csv.open(newline="", encoding="utf-8") as src:
        reader = csv.DictReader(src)
        if not {"query_id", "name"} <= set(reader.fieldnames or []):
            raise click.UsageError(f"{in_csv} needs columns query_id,name[,dob,country,schema]")
        with out_csv.open("w", newline="", encoding="utf-8") as dst:
            writer = csv.writer(dst)
            writer.writerow(["query_id", "source", "source_id", "matched_name", "score"])
            for line, row in enumerate(reader, 2):
                schema = (row.get("schema") or PartySchema.PERSON.value).strip()
                if schema not in _SCHEMAS.choices:
                    raise click.UsageError(f"{in_csv} line {line}: unknown schema {schema!r}")
                country = (row.get("country") or "").strip().upper() or None
                query = ScreenPartyInput(
                    party_id=row["query_id"],
                    name=row["name"],
                    date_of_birth=_parse_dob((row.get("dob") or "").strip(), line),
                    country=country,
                    schema_=PartySchema(schema),
                )
                queries += 1
                for hit in index.search(query, cutoff, limit=25):
                    hits += 1
                    writer.writerow(
                        [row["query_id"], hit.source, hit.source_id, hit.matched_name, hit.score]
                    )
    click.echo(f"screened {queries} parties, {hits} hits at threshold {cutoff:.2f} -> {out_csv}")
