"""Projects on disk: where they live, and reading/writing ``project.json``.

Projects live under ``$LONGCUT_HOME/projects/<name>/`` (default home:
``~/.longcut``), so a session started by ``longcut make --session NAME`` can be
reopened by ``longcut refine NAME`` in a later process. ``project.json`` is
always written atomically: a crash mid-write leaves the previous version.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pydantic import ValidationError

from longcut.agent.state import Project, slugify
from longcut.errors import InputError
from longcut.tools.paths import ProjectFolder, atomic_output, make_private_dir

log = logging.getLogger(__name__)

PROJECT_FILE = "project.json"


def longcut_home() -> Path:
    """Root folder for projects and checkpoints (``LONGCUT_HOME`` or ``~/.longcut``)."""
    return Path(os.environ.get("LONGCUT_HOME") or Path.home() / ".longcut").expanduser()


class ProjectStore:
    """The folder holding all projects."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = make_private_dir(Path(root) if root is not None else longcut_home() / "projects")

    def folder(self, name: str) -> Path:
        """Folder of project ``name`` (which must be a valid slug)."""
        if slugify(name) != name:
            raise InputError(
                f"session name {name!r} may use only lower-case letters, digits, '-' and '_' "
                f"(e.g. {slugify(name, 'my-video')!r})"
            )
        return self.root / name

    def exists(self, name: str) -> bool:
        """Whether project ``name`` has been saved."""
        return (self.folder(name) / PROJECT_FILE).is_file()

    def lock_path(self, name: str) -> Path:
        """The file whose lock a turn of project ``name`` holds (``agent.session``).

        It lives beside the project folders, not in one, so taking the lock
        never creates a project folder, and deleting a project never unlinks a
        lock another process holds.
        """
        locks = self.root / ".locks"
        locks.mkdir(exist_ok=True)
        return locks / f"{self.folder(name).name}.lock"

    def names(self) -> list[str]:
        """Saved project names, sorted."""
        return sorted(p.parent.name for p in self.root.glob(f"*/{PROJECT_FILE}"))

    def project_folder(self, name: str) -> ProjectFolder:
        """The ``ProjectFolder`` (safe path resolver) of project ``name``, created if needed (private: 0700)."""
        folder = self.folder(name)
        for sub in ("refs", "shots", "renders"):
            make_private_dir(folder / sub)
        return ProjectFolder(folder)

    def save(self, project: Project) -> Path:
        """Write ``project.json`` atomically; returns its path."""
        path = self.project_folder(project.name).root / PROJECT_FILE
        with atomic_output(path) as tmp:
            tmp.write_text(project.model_dump_json(indent=2), encoding="utf-8")
        return path

    def load(self, name: str) -> Project:
        """Read project ``name``; a missing or damaged file is a clear error."""
        path = self.folder(name) / PROJECT_FILE
        if not path.is_file():
            known = ", ".join(self.names()) or "none yet"
            raise InputError(f"no session {name!r} (known sessions: {known})")
        try:
            return Project.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as err:
            raise InputError(f"session {name!r} has a damaged project.json: {err.errors()[0]['msg']}") from err
