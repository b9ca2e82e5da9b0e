"""What kind of folder is this? Every folder the product writes, told apart once, for every command.

Commands that read a folder (``plot``, ``report``, ``replay``, ``discover``, ``reweight``, the
``--resume`` options) ask :func:`folder_kind` first, then either read it or refuse it with
:func:`refusal`: one line naming the folder, what kind it is, and which commands read it. A
folder is told by its manifest's top-level keys; the few writers that leave no manifest (a
variance split, a sensitivity analysis's top folder, a game) by the files they always write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.results.folder import ResultsError
from sim.results.safe_io import load_manifest


@dataclass(frozen=True)
class Kind:
    """One kind of folder: its name, the command that writes it, and the commands that read it."""

    name: str
    words: str  # "a comparison folder (`tradesim compare`)"
    readers: tuple[str, ...]  # commands that read it, as typed


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "run",
            "a run's results folder (`tradesim run`)",
            ("plot", "report", "replay", "discover", "forecast score"),
        ),
        Kind(
            "comparison",
            "a comparison folder (`tradesim compare`, one sub-folder per scenario)",
            ("plot", "report", "replay --scenario", "discover"),
        ),
        Kind(
            "branches",
            "a branches folder (`tradesim branches`, one sub-folder per branch)",
            ("plot", "report", "reweight", "replay --scenario"),
        ),
        Kind("sweep", "a sweep folder (`tradesim sweep`)", ("plot", "discover", "sweep --resume")),
        Kind("sensitivity", "a sensitivity folder (`tradesim sensitivity`)", ("sensitivity --resume",)),
        Kind("variance", "a variance folder (`tradesim variance`)", ()),
        Kind("tournament", "a tournament folder (`tradesim tournament`)", ()),
        Kind("game", "a game folder (`tradesim play`)", ("play --replay FILE.game.toml",)),
    )
}


@dataclass(frozen=True)
class FolderKind:
    """A folder and what it is; ``manifest`` is empty where the kind leaves none."""

    folder: Path
    kind: Kind
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.kind.name

    def members(self) -> dict[str, Path]:
        """A comparison's scenarios or a branches folder's branches: name -> sub-folder (else empty)."""
        if self.name == "comparison":
            return {n: _member(self.folder, n, p) for n, p in self.manifest["folders"].items()}
        if self.name == "branches":
            return {b: self.folder / b for b in self.manifest["branches"]}
        return {}

    def refusal(self, command: str, wants: str) -> str:
        """One line: this folder is X, ``command`` reads Y; what reads X."""
        readers = (
            ", ".join(f"`tradesim {r}`" for r in self.kind.readers) or "no other command (its tables are CSV)"
        )
        return (
            f"{self.folder}: {self.kind.words}; `{command}` reads {wants}. This folder is read by {readers}"
        )


def _member(folder: Path, name: str, written: str) -> Path:
    """A member's folder: beside the manifest (a copied or moved folder), else where it was written."""
    here = folder / name
    return here if (here / "manifest.json").is_file() else Path(written)


def _kind_of_manifest(manifest: dict[str, Any]) -> str | None:
    for key in ("comparison", "branches", "sweep", "sensitivity", "tournament", "variance", "game"):
        if key in manifest:
            return key
    if "scenario" in manifest and "calendar" in manifest:
        return "run"  # also one scenario of a comparison, or one branch of a branches folder
    return None


def folder_kind(folder: Path) -> FolderKind:
    """What ``folder`` is; :class:`ResultsError` (one line) if the product did not write it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such folder (no manifest.json to read)")
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        manifest = load_manifest(manifest_path)
        name = _kind_of_manifest(manifest)
        if name is not None:
            return FolderKind(folder, KINDS[name], manifest)
    if (folder / "variance.csv").is_file() or (folder / "nested_outcomes.csv").is_file():
        return FolderKind(folder, KINDS["variance"], manifest)
    if any(folder.glob("*.game.toml")):
        return FolderKind(folder, KINDS["game"], manifest)
    if any(folder.glob("sensitivity_*.csv")) or any(
        (p / "evaluations.csv").is_file() for p in folder.glob("sensitivity_*")
    ):
        return FolderKind(folder, KINDS["sensitivity"], manifest)
    raise ResultsError(
        f"{folder}: not a results folder "
        + ("(its manifest.json names no kind tradesim writes)" if manifest else "(no manifest.json)")
    )


def expect(folder: Path, command: str, *kinds: str) -> FolderKind:
    """The folder's kind if ``command`` reads it; else :class:`ResultsError` with the refusal line."""
    found = folder_kind(folder)
    if found.name not in kinds:
        wants = _or([KINDS[k].words.split(" (")[0] for k in kinds])
        raise ResultsError(found.refusal(command, wants))
    return found


def saved_request(folder: Path, command: str, kind: str, section: str) -> dict[str, Any]:
    """The manifest of a ``kind`` folder that ``command`` resumes; it must hold ``section``.

    One reading for every ``--resume`` of a saved request (sweep, sensitivity): the folder's
    kind is checked, a damaged manifest is one line, and so is one without the request.
    """
    folder = Path(folder)
    expect(folder, command, kind)  # another kind: say which, and what reads it
    manifest = load_manifest(folder / "manifest.json")
    if section not in manifest:
        raise ResultsError(f"{folder}: not a {kind} folder (its manifest holds no {section} request)")
    return manifest


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
