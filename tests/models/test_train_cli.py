"""The one training command line: the cards' recorded commands still parse, and bad values stop a job with one line."""

import shlex
from pathlib import Path

import pytest

from longcut.models.train.cli import _parser, main

WEIGHTS = Path(__file__).resolve().parents[2] / "models" / "weights"


def card_commands() -> list[list[str]]:
    """The ``python -m longcut.models.train …`` lines of the model cards, as argument lists."""
    out = []
    for card in sorted(WEIGHTS.glob("*_CARD.md")):
        for line in card.read_text().replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("python -m longcut.models.train "):
                out.append(shlex.split(line)[3:])
    return out


def test_every_command_the_cards_record_parses():
    commands = card_commands()
    assert {c[0] for c in commands} == {"vae", "vae-export", "dit-bank", "dit", "dit-export"}
    for argv in commands:
        _parser().parse_args(argv)  # argparse exits on an unknown flag


def test_a_bad_value_exits_with_one_line(tmp_path):
    with pytest.raises(SystemExit, match="seed0 must leave the held-out seeds"):
        main(["dit-bank", "--out", str(tmp_path / "b.pt"), "--seed0", "999999"])
    with pytest.raises(SystemExit, match="bank shards not found"):
        main(["dit-bank-merge", "--out", str(tmp_path / "b.pt"), str(tmp_path / "missing.pt")])
    with pytest.raises(SystemExit, match="lr must be positive"):
        main(["dit", "--out", str(tmp_path / "run"), "--lr", "0"])
    assert not (tmp_path / "run").exists()


def test_the_card_of_an_export_records_a_dit_line_that_repeats_the_run(tmp_path):
    from dataclasses import asdict, fields

    from longcut.models.train.bank import random_bank
    from longcut.models.train.config import DiTTrainConfig
    from longcut.models.train.dit import train_dit
    from longcut.models.train.export import export_dit

    bank = random_bank(8, 4, 8)
    bank.save(tmp_path / "bank.pt")
    tc = DiTTrainConfig(preset="micro", out=str(tmp_path / "run"), bank=str(tmp_path / "bank.pt"), steps=2, batch=2,
                        eval_every=0, ckpt_every_s=1e9, ema=0.99, p_first=0.5, chunk_latents=3)
    train_dit(tc, progress=False)
    export_dit(tmp_path / "run", tmp_path / "w" / "dit")
    lines = [shlex.split(line)[3:] for line in (tmp_path / "w" / "DIT_CARD.md").read_text().splitlines()
             if line.startswith("python -m longcut.models.train ")]
    assert lines[0][:1] == ["dit-bank"] and "--clip-latents" in lines[0] and lines[0][-1] == "8"
    args = _parser().parse_args(lines[1])
    assert asdict(DiTTrainConfig(**{f.name: getattr(args, f.name) for f in fields(DiTTrainConfig)})) == asdict(tc)
