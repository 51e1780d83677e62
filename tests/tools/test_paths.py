import json
import os
import stat

import pytest

from longcut.errors import InputError
from longcut.tools import paths
from longcut.tools.paths import (
    ProjectFolder,
    atomic_output,
    check_output_path,
    make_private_dir,
    read_input_bytes,
    sweep_stale_temps,
)


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


# ------------------------------------------------------- issue 21: hardening


def test_a_plain_name_with_a_colon_is_a_file_and_real_urls_stay_refused(root):
    (root.root / "a:b.mp4").write_bytes(b"x")
    assert root.resolve("a:b.mp4") == root.root / "a:b.mp4"
    for url in ("file:/etc/passwd", "HTTP://x/y.mp4", "concatf:list.txt", "fd:3", "tee:a.mp4"):
        with pytest.raises(InputError, match="URL"):
            root.resolve(url)


def test_check_output_path_refuses_before_any_work(tmp_path):
    (tmp_path / "afile").write_bytes(b"x")
    (tmp_path / "dir.mp4").mkdir()
    with pytest.raises(InputError, match=r"'x.txt' must end with \.mp4"):
        check_output_path("x.txt", (".mp4",))
    with pytest.raises(InputError, match="afile' is a file, not a folder"):
        check_output_path(str(tmp_path / "afile" / "x.mp4"), (".mp4",))
    with pytest.raises(InputError, match="afile' is a file, not a folder"):
        check_output_path(str(tmp_path / "afile" / "deeper" / "x.mp4"), (".mp4",))
    with pytest.raises(InputError, match="is a folder"):
        check_output_path(str(tmp_path / "dir.mp4"), (".mp4",))
    assert check_output_path(str(tmp_path / "new" / "sub" / "x.mp4"), (".mp4",)) == tmp_path / "new/sub/x.mp4"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    assert sorted(os.listdir(tmp_path)) == ["afile", "dir.mp4"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_check_output_path_in_a_folder_that_takes_no_files():
    with pytest.raises(InputError, match="'/proc/version.mp4' cannot be written"):
        check_output_path("/proc/version.mp4", (".mp4",))
    with pytest.raises(InputError, match="'/proc/x/y.mp4' cannot be written"):
        check_output_path("/proc/x/y.mp4", (".mp4",))


def test_an_unwritable_or_immutable_output_is_one_clear_error(tmp_path, monkeypatch):
    target = tmp_path / "locked.mp4"
    target.write_bytes(b"old")
    real_open = open

    def refuse_append(file, mode="r", *a, **kw):  # what an immutable file (chattr +i) says, even to root
        if str(file) == str(target) and "a" in mode:
            raise PermissionError(1, "Operation not permitted", str(file))
        return real_open(file, mode, *a, **kw)

    monkeypatch.setattr(paths, "open", refuse_append, raising=False)
    with pytest.raises(InputError, match="'.*locked.mp4' cannot be written: Operation not permitted"):
        check_output_path(str(target), (".mp4",))

    def refuse_create(path, flags, mode=0o777):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(paths.os, "open", refuse_create)
    with pytest.raises(InputError, match="cannot be written: Permission denied"):
        check_output_path(str(tmp_path / "new.mp4"), (".mp4",))


def test_atomic_output_turns_file_system_refusals_into_one_error(tmp_path, monkeypatch):
    (tmp_path / "afile").write_bytes(b"x")
    with pytest.raises(InputError, match="its folder cannot be created"), \
            atomic_output(tmp_path / "afile" / "x.mp4") as tmp:
        tmp.write_bytes(b"never")
    target = tmp_path / "immutable.mp4"
    target.write_bytes(b"old")

    def refuse_replace(src, dst):
        raise PermissionError(1, "Operation not permitted", str(src), None, str(dst))

    monkeypatch.setattr(paths.os, "replace", refuse_replace)
    with pytest.raises(InputError, match="cannot write '.*immutable.mp4': Operation not permitted"), \
            atomic_output(target) as tmp:
        tmp.write_bytes(b"new")
    assert sorted(os.listdir(tmp_path)) == ["afile", "immutable.mp4"] and target.read_bytes() == b"old"


def test_a_private_output_is_never_readable_by_others(tmp_path):
    with atomic_output(tmp_path / "copies" / "music.mp3", private=True) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600  # already while it is written
        tmp.write_bytes(b"secret")
    assert stat.S_IMODE((tmp_path / "copies" / "music.mp3").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "copies").stat().st_mode) == 0o700
    made = make_private_dir(tmp_path / "a" / "b")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (made, made.parent)} == {0o700}


@pytest.mark.parametrize("what", ["folder", "missing", "url", "unopenable"])
def test_check_input_file_names_the_users_string(tmp_path, monkeypatch, what):
    real_open = open
    raw = {"folder": str(tmp_path), "missing": str(tmp_path / "nope.png"), "url": "file:///etc/passwd",
           "unopenable": str(tmp_path / "secret.png")}[what]
    if what == "unopenable":
        (tmp_path / "secret.png").write_bytes(b"x")

        def refuse(file, mode="r", *a, **kw):  # as a non-root user reading a file that is not theirs
            if str(file) == raw:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, mode, *a, **kw)

        monkeypatch.setattr(paths, "open", refuse, raising=False)
    needle = {"folder": "is a folder", "missing": "does not exist", "url": "looks like a URL",
              "unopenable": "cannot be read: Permission denied"}[what]
    with pytest.raises(InputError, match=needle) as err:
        read_input_bytes(raw, "reference image", 1 << 20)
    assert f"reference image {raw!r}" in str(err.value)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs /proc")
def test_a_file_that_cannot_be_read_is_an_input_error():
    with pytest.raises(InputError, match="'/proc/self/mem' cannot be read"):
        read_input_bytes("/proc/self/mem", "music file", 1 << 20)


def test_stale_temporary_files_of_ours_are_swept(tmp_path):
    old, fresh = tmp_path / ".out.tmp-0123abcd.mp4", tmp_path / ".out.tmp-89abcdef.mp4"
    other, deep = tmp_path / ".other.tmp-0123abcd.mp4", tmp_path / "shots" / "s1" / ".k-t1.tmp-00000000.mp4"
    mine_not = [tmp_path / ".out.tmp-notours.mp4", tmp_path / "out.tmp-0123abcd.mp4", tmp_path / "out.mp4"]
    deep.parent.mkdir(parents=True)
    for f in (old, fresh, other, deep, *mine_not):
        f.write_bytes(b"x")
    long_ago = paths.PROCESS_STARTED - 60
    for f in (old, other, deep, *mine_not):
        os.utime(f, (long_ago, long_ago))
    assert sweep_stale_temps(tmp_path, stem_of=tmp_path / "out.mp4") == 1  # one output's temporaries only
    assert not old.exists() and other.exists() and fresh.exists()  # a write in progress is left alone
    assert sweep_stale_temps(tmp_path, recursive=True) == 2
    assert not other.exists() and not deep.exists() and fresh.exists() and all(f.exists() for f in mine_not)
