"""The one training command line: the cards' recorded commands still parse, and bad values stop a job with one line."""

import shlex
from pathlib import Path

import pytest

from longcut.models.train.cli import _parser, config_from_args, main

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
    from dataclasses import asdict

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
    repeated, _ = config_from_args(_parser().parse_args(lines[1]), DiTTrainConfig)
    assert asdict(repeated) == asdict(tc)


def _micro_run(tmp_path, *extra: str) -> list[str]:
    from longcut.models.train.bank import random_bank

    random_bank(8, 4, 8).save(tmp_path / "bank.pt")
    return ["dit", "--preset", "micro", "--out", str(tmp_path / "run"), "--bank", str(tmp_path / "bank.pt"),
            "--batch", "2", "--eval-every", "0", "--ckpt-every-s", "1e9", "--chunk-latents", "3", *extra]


def test_a_resumed_run_keeps_the_settings_its_command_line_leaves_out(tmp_path):
    """Resuming with a short command line keeps the run's own steps, lr and VAE, and counts CPU time on."""
    from longcut.models.train.common import load_checkpoint

    main(_micro_run(tmp_path, "--steps", "2", "--lr", "0.002", "--vae", "models/weights/vae_v2"))
    first = load_checkpoint(tmp_path / "run" / "ckpt.pt")
    assert first["train_config"]["vae"] == "models/weights/vae_v2" and first["cpu_s"] > 0
    main(["dit", "--out", str(tmp_path / "run"), "--steps", "3"])
    state = load_checkpoint(tmp_path / "run" / "ckpt.pt")
    assert state["step"] == 3 and state["cpu_s"] > first["cpu_s"]
    saved = state["train_config"]
    assert (saved["lr"], saved["vae"], saved["batch"], saved["preset"]) == (0.002, "models/weights/vae_v2", 2, "micro")


def test_a_resumed_run_refuses_a_setting_it_cannot_change(tmp_path):
    main(_micro_run(tmp_path, "--steps", "1"))
    with pytest.raises(SystemExit, match=r"keeps its settings \(--lr 0.0006\)"):
        main(["dit", "--out", str(tmp_path / "run"), "--steps", "2", "--lr", "0.01"])
    main(_micro_run(tmp_path, "--steps", "2", "--lr", "0.01", "--no-resume"))  # a new run may
