"""Watch tables with ZooKeeper's trigger rules (pure; watchers are opaque ints, e.g. connections).

The data tree owns two tables, like ZooKeeper: *data* watches (getData, exists, and persistent
watches) and *child* watches (getChildren and non-recursive persistent watches). A trigger on a
path fires standard watches registered on exactly that path (removing them: one-shot), persistent
watches on that path (kept), and persistent-recursive watches on the path or any ancestor (kept;
they live only in the data table, so never see NodeChildrenChanged). ``trigger`` returns the set
of watchers fired so a second table can suppress duplicates (delete fires data then child).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator

from odradek.zk.codes import EventType


class Mode(enum.IntEnum):
    STANDARD = -1
    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1


Deliver = Callable[[int, EventType, str], None]


def ancestors(path: str) -> Iterator[str]:
    """The path itself, then each parent up to '/'."""
    yield path
    while path != "/":
        cut = path.rfind("/")
        path = path[:cut] or "/"
        yield path


class WatchTable:
    """path -> {watcher: mode}, with the reverse index for dropping a watcher."""

    def __init__(self) -> None:
        self.by_path: dict[str, dict[int, Mode]] = {}
        self.by_watcher: dict[int, set[str]] = {}
        self.recursive = 0

    def add(self, path: str, watcher: int, mode: Mode = Mode.STANDARD) -> None:
        watchers = self.by_path.setdefault(path, {})
        old = watchers.get(watcher)
        if old is not None and old != Mode.STANDARD and mode == Mode.STANDARD:
            return  # a persistent watch already covers it
        if old == Mode.PERSISTENT_RECURSIVE:
            self.recursive -= 1
        if mode == Mode.PERSISTENT_RECURSIVE:
            self.recursive += 1
        watchers[watcher] = mode
        self.by_watcher.setdefault(watcher, set()).add(path)

    def remove(self, path: str, watcher: int) -> bool:
        watchers = self.by_path.get(path)
        if not watchers or watcher not in watchers:
            return False
        if watchers.pop(watcher) == Mode.PERSISTENT_RECURSIVE:
            self.recursive -= 1
        if not watchers:
            del self.by_path[path]
        paths = self.by_watcher.get(watcher)
        if paths is not None:
            paths.discard(path)
            if not paths:
                del self.by_watcher[watcher]
        return True

    def has(self, path: str, watcher: int) -> bool:
        return watcher in self.by_path.get(path, ())

    def drop_watcher(self, watcher: int) -> None:
        for path in list(self.by_watcher.get(watcher, ())):
            self.remove(path, watcher)

    def trigger(self, path: str, suppress: set[int] | None = None) -> set[int]:
        fired: set[int] = set()
        exact = self.by_path.get(path)
        if exact:
            for w, mode in list(exact.items()):
                fired.add(w)
                if mode == Mode.STANDARD:
                    self.remove(path, w)
        if self.recursive:
            for parent in ancestors(path):
                if parent == path:
                    continue
                for w, mode in self.by_path.get(parent, {}).items():
                    if mode == Mode.PERSISTENT_RECURSIVE:
                        fired.add(w)
        if suppress:
            fired -= suppress
        return fired

    def count(self) -> int:
        return sum(len(ws) for ws in self.by_path.values())


class WatchManager:
    """Both tables plus the delivery callback the server installs."""

    def __init__(self, deliver: Deliver | None = None) -> None:
        self.data = WatchTable()
        self.child = WatchTable()
        self.deliver: Deliver = deliver or (lambda _w, _t, _p: None)

    def fire(self, path: str, event: EventType) -> None:
        """Trigger the tables an event of this type concerns and deliver it once per watcher."""
        if event == EventType.NODE_CHILDREN_CHANGED:
            fired = self.child.trigger(path)
        elif event == EventType.NODE_DELETED:
            fired = self.data.trigger(path)
            fired |= self.child.trigger(path, fired)
        else:
            fired = self.data.trigger(path)
        for w in sorted(fired):
            self.deliver(w, event, path)

    def add_persistent(self, path: str, watcher: int, recursive: bool) -> None:
        if recursive:
            self.data.add(path, watcher, Mode.PERSISTENT_RECURSIVE)
        else:
            self.data.add(path, watcher, Mode.PERSISTENT)
            self.child.add(path, watcher, Mode.PERSISTENT)

    def drop_watcher(self, watcher: int) -> None:
        self.data.drop_watcher(watcher)
        self.child.drop_watcher(watcher)
