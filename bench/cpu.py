"""CPU time used by a tree of processes (a server, a database), read from /proc on Linux.

On a shared machine the wall time of a bench moves with other people's work; the CPU seconds
a server spends per request do much less, so the benches print both.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # the thread or process ended meanwhile
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def tree_seconds(root: int) -> float:
    """CPU seconds (user and system) of ``root``, its live descendants and the children it has
    already reaped, so that a process that ended between two readings still counts."""
    total = 0.0
    pending = [root]
    while pending:
        pid = pending.pop()
        fields = _stat(pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime: fields 14 to 17 of /proc/<pid>/stat.
        total += sum(int(value) for value in fields[11:15]) / TICKS
        pending += _children(pid)
    return total


def postmaster_pid(data_folder: Path) -> int:
    """The PostgreSQL server's process id, from its data folder."""
    return int((data_folder / "postmaster.pid").read_text().split()[0])
