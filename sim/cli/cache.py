"""``tradesim cache``: where the compiled model is kept, and how to clear or fill it."""

from __future__ import annotations

from typing import Annotated

import typer

import sim.cli.ui as ui
from sim.cli.ui import app


@app.command(
    rich_help_panel="Scenarios and sources",
    epilog="Examples: `tradesim cache` · `tradesim cache --clear` · `tradesim cache --build`",
)
def cache(
    clear: Annotated[
        bool,
        typer.Option("--clear", help="Delete the compiled model (all versions): the next run compiles."),
    ] = False,
    build: Annotated[
        bool,
        typer.Option("--build", help="Compile the model now (before a workshop, or in a shared image)."),
    ] = False,
) -> None:
    """Show where the compiled model is cached (per user; `NUMBA_CACHE_DIR` moves it), or clear or fill it.

    The model's inner loops are compiled once per user and per version of tradesim, on every
    core at once, and kept in the user's cache folder (not inside the package, so `pip uninstall`
    leaves nothing importable behind; clear this folder too to remove everything).
    """
    from sim.core import kernel_cache

    if clear and build:
        ui.fail("--clear and --build: choose one")
    root = kernel_cache.cache_root()
    if clear:
        gone = kernel_cache.clear(root)
        ui.say("deleted {} compiled version(s) from {}", len(gone), root)
        return
    if build:
        ui.prepare_model()
    current = kernel_cache.cache_dir()
    ui.say("compiled model cache: {}", root)
    folders = kernel_cache.cache_folders(root)
    if not folders:
        ui.say("  nothing compiled yet: the first run compiles (or `tradesim cache --build`)")
    for folder in folders:
        mib = kernel_cache.folder_bytes(folder) / 2**20
        if folder == current:
            ready = kernel_cache.is_ready(folder)  # imports numba: the marker names its version and the CPU
            state = "this version, complete" if ready else "this version, not complete"
        else:
            state = "another version (unused by this one; --clear removes it)"
        ui.say("  {} {} MiB, {}", folder.name, f"{mib:.1f}", state)
