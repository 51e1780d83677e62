import subprocess
import sys

from longcut.agent.cli.app import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "longcut", *args], capture_output=True, text=True, timeout=120
    )


def test_help_lists_commands():
    out = run_cli("--help")
    assert out.returncode == 0
    assert "doctor" in out.stdout


def test_doctor_reports_ffmpeg_and_torch():
    out = run_cli("doctor")
    assert out.returncode == 0, out.stderr
    assert "ffmpeg" in out.stdout and "torch" in out.stdout
    assert "no" not in [c.strip() for c in out.stdout.split("│")]


def test_unknown_command_is_a_usage_error_not_a_traceback():
    out = run_cli("frobnicate")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr


def test_longcut_error_exits_2_with_one_line(capsys, monkeypatch):
    import pytest
    import typer

    from longcut.agent.cli import app as cli
    from longcut.errors import InputError

    def boom() -> None:
        raise InputError("clip 'a.mp4' does not exist")

    sub = typer.Typer()
    sub.command()(boom)
    monkeypatch.setattr(cli, "app", sub)
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "clip 'a.mp4' does not exist" in err and "Traceback" not in err


def test_a_bad_judge_option_is_one_clear_error():
    out = run_cli("make", "a red ball on grass", "--judge", "eyes")
    assert out.returncode == 2 and "--judge must be one of none, evaluator, vlm" in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr
