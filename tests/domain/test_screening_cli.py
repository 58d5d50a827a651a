"""`clearway screen` commands through click's runner, on the configured (real) lists."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cli.screen import screen


def test_name_json_and_table() -> None:
    runner = CliRunner()
    result = runner.invoke(screen, ["name", "Hasan Nasrallah", "--dob", "1960-08-31", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["hits"][0]["source_id"] == "2686"
    assert payload["lists"][0]["source"] == "ofac_sdn"
    table = runner.invoke(screen, ["name", "Lars Svensson"])
    assert table.exit_code == 0
    assert "no hits" in table.output
    bad = runner.invoke(screen, ["name", "X", "--dob", "31/08/1960"])
    assert bad.exit_code != 0


def test_pairs(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(
        "name1,name2,schema\n"
        "Hasan Nasrallah,NASRALLAH Hassan,Person\n"
        "Anna Maria Eriksson,Kim Jong Un,Person\n"
        "Acme Trading LLC,ACME TRADING LTD,Company\n"
    )
    result = CliRunner().invoke(screen, ["pairs", str(src), str(dst)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(dst.open()))
    assert [r["match"] for r in rows] == ["true", "false", "true"]
    assert float(rows[1]["score"]) < 0.5


def test_batch(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(
        "query_id,name,dob,country,schema\n"
        "c1,Usama bin Ladin,1957-07-30,SA,Person\n"
        "c2,Lars Svensson,1980-01-01,SE,Person\n"
        "c3,Banco Nacional de Cuba,,,Organization\n"
    )
    result = CliRunner().invoke(screen, ["batch", str(src), str(dst)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(dst.open()))
    assert {r["query_id"] for r in rows} == {"c1", "c3"}
    assert ("ofac_sdn", "6365") in {
        (r["source"], r["source_id"]) for r in rows if r["query_id"] == "c1"
    }
    assert "306" in {r["source_id"] for r in rows if r["query_id"] == "c3"}
