import pytest

from longcut.agent.cli.app import main
from longcut.tools.media import probe

from tests.api.api_helpers import FAST, TOKEN


def run(*args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code


def test_submit_status_wait_from_the_command_line(jobs_server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LONGCUT_API_TOKEN", TOKEN)
    monkeypatch.setenv("LONGCUT_SERVER", jobs_server.url)
    assert run("submit", "a red ball bounces on grass", "--seconds", "2", "--model", FAST) in (0, None)
    job_id = capsys.readouterr().out.strip()
    assert len(job_id) >= 22
    out = tmp_path / "out.mp4"
    assert run("wait", job_id, "-o", str(out), "--server", jobs_server.url) in (0, None)
    assert probe(out).duration == pytest.approx(2.0, abs=0.2)
    assert run("status", job_id) in (0, None)
    assert "succeeded" in capsys.readouterr().out


def test_client_errors_exit_2_with_the_server_message(jobs_server, capsys):
    assert run("status", "A" * 22, "--server", jobs_server.url, "--token", TOKEN) == 2
    assert "no job" in capsys.readouterr().err
    assert run("status", "A" * 22, "--server", jobs_server.url, "--token", "wrong-token-000000000000") == 2
    assert "invalid bearer token" in capsys.readouterr().err
    assert run("submit", "a red ball", "--model", "nope", "--server", jobs_server.url, "--token", TOKEN) == 2
    assert "not offered" in capsys.readouterr().err
    assert run("status", "x", "--server", "http://127.0.0.1:9", "--token", TOKEN) == 2
    assert "cannot reach" in capsys.readouterr().err
