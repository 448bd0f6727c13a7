"""Read side of the store's on-disk generations (README, "The store").

A store path P holds P/generations/<name>/ (one pyoxigraph store each, COMPLETE when finished,
READERS.lock held shared by every process that has it open) and P/current, a relative symlink to the
current generation. Older layouts are read as they are: P a plain pyoxigraph folder, or a symlink to one.
The server never imports graph/, so this reader stands alone; graph/store.py writes the same layout.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pyoxigraph import Store

GENERATIONS = "generations"
CURRENT = "current"
COMPLETE = "COMPLETE"
READERS_LOCK = "READERS.lock"
OPEN_ATTEMPTS = 5  # each retry follows a rebuild that swapped `current` between readlink and lock


def current_generation(store_path: Path) -> Path:
    """The folder of the current complete generation; P itself if P is a plain pyoxigraph folder."""
    if str(store_path).startswith(("http://", "https://")):
        return store_path  # an external store (server/remote.py): one "generation", its URL
    store_path = Path(store_path)
    link = store_path / CURRENT
    if link.is_symlink():
        generation = store_path / os.readlink(link)
        if (generation / COMPLETE).is_file():
            return generation
        raise FileNotFoundError(f"{store_path}: the current generation {generation.name} is not complete")
    if (store_path / "CURRENT").is_file():  # RocksDB's own CURRENT file: a store from before generations
        return Path(os.path.realpath(store_path))
    raise FileNotFoundError(f"{store_path}: no store here (run 'adekg build' first)")


def is_current(store_path: Path, generation: Path) -> bool:
    """Whether generation is still the current one (one readlink; cheap enough per request)."""
    try:
        return os.path.basename(os.readlink(os.path.join(store_path, CURRENT))) == Path(generation).name
    except OSError:
        return Path(os.path.realpath(store_path)) == Path(generation)


class Reader:
    """A read-only Store on one generation, holding that generation's READERS.lock shared."""

    def __init__(self, store: Store, generation: Path, lock_fd: int | None):
        self.store, self.generation, self._lock_fd = store, generation, lock_fd

    def close(self) -> None:
        """Close the store, then release the generation to the writer's pruning."""
        self.store = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def __del__(self):
        self.close()


def open_reader(store_path: Path) -> Reader:
    """Open the current generation read-only and hold its READERS.lock shared while it is open."""
    legacy = not (Path(store_path) / CURRENT).is_symlink()
    for _ in range(OPEN_ATTEMPTS):
        generation = current_generation(store_path)
        try:
            lock_fd = hold_shared(generation, legacy)
        except FileNotFoundError:
            continue  # pruned between readlink and open: read the link again
        # A pruner deletes a generation only while holding its lock exclusively: if the folder is still
        # whole now that we hold the lock shared, it stays whole until we let go.
        if legacy or (generation / COMPLETE).is_file():
            return Reader(Store.read_only(str(generation)), generation, lock_fd)
        os.close(lock_fd)
    raise FileNotFoundError(f"{store_path}: the store changed {OPEN_ATTEMPTS} times while opening it")


def hold_shared(generation: Path, legacy: bool) -> int | None:
    """Take LOCK_SH on the generation's READERS.lock; None for a legacy store where it cannot be made."""
    lock = generation / READERS_LOCK
    if legacy:  # add the lock file if the folder is writable, else read unprotected
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return None
    else:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd
