import json
import os

import pytest

from longcut.errors import InputError
from longcut.tools.paths import ProjectFolder, atomic_output


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    (r / "clip.mp4").write_bytes(b"x")
    return ProjectFolder(r)


@pytest.mark.parametrize("url", [
    "http://example.com/a.mp4", "https://x/y.mp4", "file:///etc/passwd", "data:text/plain,hi",
    "concat:a.mp4|b.mp4", "subfile,,start,0,end,10,,:clip.mp4", "pipe:0", "ftp://h/f",
    "crypto:clip.mp4", "clip.mp4?x=http://a",
])
def test_urls_are_refused_quoting_the_value(root, url):
    with pytest.raises(InputError, match="URL") as err:
        root.resolve(url)
    assert repr(url)[:60] in str(err.value) or url[:40] in str(err.value)


@pytest.mark.parametrize("bad", ["/etc/passwd", "../outside.mp4", "sub/../../x.mp4", "~/x.mp4"])
def test_paths_outside_the_project_are_refused(root, bad):
    with pytest.raises(InputError, match="outside the project folder"):
        root.resolve(bad, must_exist=False)


def test_symlink_escape_is_refused(root, tmp_path):
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"s")
    os.symlink(secret, root.root / "link.mp4")
    with pytest.raises(InputError, match="outside the project folder"):
        root.resolve("link.mp4")


def test_inside_paths_resolve_relative_and_absolute(root):
    assert root.resolve("clip.mp4") == root.root / "clip.mp4"
    assert root.resolve(str(root.root / "clip.mp4")) == root.root / "clip.mp4"
    assert root.resolve("./sub/../clip.mp4") == root.root / "clip.mp4"


def test_missing_and_folder_inputs_name_the_file(root):
    with pytest.raises(InputError, match="'nope.mp4' does not exist"):
        root.resolve("nope.mp4")
    (root.root / "dir").mkdir()
    with pytest.raises(InputError, match="not a file"):
        root.resolve("dir")
    with pytest.raises(InputError, match="empty"):
        root.resolve("  ")


def test_output_creates_parent_and_new_output_is_fresh(root):
    out = root.output("renders/final.mp4")
    assert out.parent.is_dir() and out == root.root / "renders" / "final.mp4"
    a, b = root.new_output("trim", ".mp4"), root.new_output("trim", ".mp4")
    assert a != b and a.parent == root.root / "edits"


def test_atomic_output_renames_on_success(tmp_path):
    target = tmp_path / "state.json"
    with atomic_output(target) as tmp:
        assert tmp.suffix == ".json" and tmp.parent == tmp_path
        tmp.write_text(json.dumps({"ok": True}))
        assert not target.exists()
    assert json.loads(target.read_text()) == {"ok": True}
    assert os.listdir(tmp_path) == ["state.json"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_output_leaves_nothing_on_failure(tmp_path, exc):
    target = tmp_path / "out.mp4"
    with pytest.raises(exc), atomic_output(target) as tmp:
        tmp.write_bytes(b"partial")
        raise exc()
    assert os.listdir(tmp_path) == []


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("new")
        raise RuntimeError
    assert target.read_text() == "old"


def test_atomic_output_requires_something_written(tmp_path):
    with pytest.raises(InputError, match="nothing was written"), atomic_output(tmp_path / "x.mp4"):
        pass
