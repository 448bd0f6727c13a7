"""Read the current generation of a store path (docs: STORE-PROTOCOL; the `store` branch owns the full version)."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pyoxigraph import Store

CURRENT = "current"
READERS_LOCK = "READERS.lock"


def current_generation(store_path: Path) -> Path:
    """The folder of the current complete generation; P itself if P is a plain pyoxigraph folder."""
    store_path = Path(store_path)
    link = store_path / CURRENT
    if link.is_symlink() or link.is_dir():
        return Path(os.path.realpath(link))
    return Path(os.path.realpath(store_path))  # the legacy layout: P is the store, or a link to it


class Reader:
    """A read-only Store on one generation, holding that generation's READERS.lock shared."""

    def __init__(self, generation: Path):
        self.generation = generation
        self.lock_file = None
        lock = generation / READERS_LOCK
        if lock.exists():
            self.lock_file = open(lock, "rb")  # noqa: SIM115 - held for as long as the Store is open
            fcntl.flock(self.lock_file, fcntl.LOCK_SH)
        self.store = Store.read_only(str(generation))

    def close(self) -> None:
        """Close the store and release the lock."""
        self.store = None
        if self.lock_file is not None:
            self.lock_file.close()
            self.lock_file = None


def open_reader(store_path: Path) -> Reader:
    """A Reader on the current generation of a store path."""
    return Reader(current_generation(store_path))


def is_current(store_path: Path, generation: Path) -> bool:
    """Whether generation is still the current one (one readlink; cheap enough per request)."""
    try:
        return current_generation(store_path) == Path(generation)
    except OSError:
        return False
