import jinja2
import pytest

from longcut import prompts


def test_every_shipped_template_renders_only_with_its_variables(tmp_path, monkeypatch):
    # A template with a variable must raise when it is missing.
    env_tpl = prompts._env.from_string("Make {{ seconds }} s")
    with pytest.raises(jinja2.UndefinedError):
        env_tpl.render()
    assert env_tpl.render(seconds=5) == "Make 5 s"


def test_unknown_template_names_what_exists():
    with pytest.raises(prompts.PromptNotFoundError, match="no prompt template 'nope'"):
        prompts.render("nope")
