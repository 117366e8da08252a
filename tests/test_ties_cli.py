"""`influence ties import|export|adopt-linkedin` and `influence people`, through the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import build, rows, write_config

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """
[[executives]]
id = "eve"
name = "Eve"
[executives.accounts]
mastodon = ["@eve@m.example"]
"""

REGISTER = """name,ring,mastodon,bluesky,linkedin,x,website,email,since,note
Grace Hopper,team,@grace@m.example,grace.bsky.social,,,https://grace.dev,,2023-01-15,"leads the platform team, since 2023"
"Linus, the elder",met_in_person,@linus@m.example;@linus@other.example,,,,,,,met at FOSDEM
"""


def influence(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influence.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ), timeout=300)


def test_ties_round_trip_and_errors(tmp_path):
    cfg = write_config(tmp_path / "influence.toml", CONFIG)
    src = tmp_path / "in.csv"
    src.write_text(REGISTER, encoding="utf-8")
    common = ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]
    r = influence("ties", "import", str(src), "--exec", "eve", "--no-model", *common)
    assert r.returncode == 0, r.stderr
    assert "2 ties imported" in r.stdout
    r = influence("ties", "export", "--exec", "eve", *common)
    assert r.returncode == 0, r.stderr
    exported = r.stdout
    assert 'Grace Hopper,team,grace@m.example,grace.bsky.social,,,https://grace.dev,,2023-01-15,"leads the platform team, since 2023"' in exported
    assert "linus@m.example;linus@other.example" in exported
    # the export imports back to the same register
    again = tmp_path / "again.csv"
    again.write_text(exported, encoding="utf-8")
    assert influence("ties", "import", str(again), "--exec", "eve", "--no-model", *common).returncode == 0
    assert influence("ties", "export", "--exec", "eve", *common).stdout == exported

    bad = tmp_path / "bad.csv"
    bad.write_text("name,ring\nGrace,team\nLinus,neighbour\n", encoding="utf-8")
    r = influence("ties", "import", str(bad), "--exec", "eve", "--no-model", *common)
    assert r.returncode == 1
    assert "line 3, column 2 (ring): 'neighbour' is not a ring" in r.stderr
    # a failed import leaves the register as it was
    assert influence("ties", "export", "--exec", "eve", *common).stdout == exported


def test_adopt_linkedin_connections_with_a_chosen_ring(tmp_path):
    cfg = write_config(tmp_path / "influence.toml", CONFIG)
    data = tmp_path / "data"
    archive = tmp_path / "linkedin.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Connections.csv", "Notes:\n\"When exporting your connection data...\"\n\n"
                   "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                   "Grace,Hopper,https://www.linkedin.com/in/grace,,Northwind,CTO,16 Jun 2021\n"
                   "Alan,Turing,https://www.linkedin.com/in/alan,,Bletchley,Researcher,01 Feb 2020\n")
    common = ["--config", str(cfg), "--data-dir", str(data)]
    r = influence("import", "linkedin", str(archive), "--exec", "eve", *common)
    assert r.returncode == 0, r.stderr
    assert influence("model", *common).returncode == 0
    r = influence("ties", "adopt-linkedin", "--exec", "eve", "--ring", "organisation", "--company", "northwind", *common)
    assert r.returncode == 0, r.stderr
    assert "1 LinkedIn connections added" in r.stdout
    exported = influence("ties", "export", "--exec", "eve", *common).stdout
    assert "Grace Hopper,organisation,,,https://www.linkedin.com/in/grace" in exported
    assert "Alan" not in exported
    # adopting again adds nobody twice
    r = influence("ties", "adopt-linkedin", "--exec", "eve", "--ring", "organisation", *common)
    assert "1 LinkedIn connections added" in r.stdout  # Alan now; Grace was already there
    con = build(data, cfg)
    assert rows(con, "select ring, count(*) from ties where exec_id = 'eve' group by ring") == [("organisation", 2)]


def test_people_merge_split_and_erase_from_the_command_line(tmp_path):
    from test_identity import world

    cfg = world(tmp_path)
    common = ["--config", str(cfg), "--data-dir", str(tmp_path)]
    assert influence("model", *common).returncode == 0
    r = influence("people", "show", "@grace@m.example", *common)
    assert r.returncode == 0, r.stderr
    assert "did:plc:grace" in r.stdout or "grace.bsky.social" in r.stdout
    r = influence("people", "merge", "@ada1@m.example", "did:plc:ada2", "--note", "same person", *common)
    assert r.returncode == 0, r.stderr
    con = build(tmp_path, cfg)
    assert rows(con, "select count(distinct person_id) from accounts where display_name = 'Ada Twin'") == [(1,)]
    con.close()
    r = influence("erase", "--handle", "@grace@m.example", *common)  # no terminal, no --yes: refuses
    assert r.returncode == 1 and "--yes" in r.stderr
    r = influence("erase", "--handle", "@grace@m.example", "--yes", *common)
    assert r.returncode == 0, r.stderr
    assert "erased" in r.stdout and "2 accounts" in r.stdout
    r = influence("people", "show", "@grace@m.example", *common)
    assert r.returncode == 1 and "no person or account matches" in r.stderr
