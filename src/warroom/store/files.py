"""What a war room's files are, below the rest of the store: the refusals for a file that
cannot be used, what kind of file sits at a path, whether it is on a network filesystem."""
from __future__ import annotations

import stat
from pathlib import Path

NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "9p", "afs",
                       "ceph", "glusterfs", "lustre", "davfs", "ncpfs", "gpfs", "beegfs")


class StoreError(Exception):
    """A war room file that cannot be used; the message says which file, why, and what to do."""


class DamagedFile(StoreError):
    """The file is a war room, but SQLite finds it damaged: `warroom verify` tells what."""


def file_kind(mode: int) -> str:
    """What a file is, from its st_mode: "a FIFO (named pipe)", "a directory" ..."""
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def network_filesystem(path: Path, mounts_file: str = "/proc/mounts") -> str | None:
    """The type of the network filesystem the file lives on, if it does."""
    try:
        with open(mounts_file, encoding="utf-8") as f:
            mounts = [line.split()[1:3] for line in f if len(line.split()) >= 3]
    except OSError:
        return None
    target = str(path.absolute().parent.resolve())
    best, kind = "", ""
    for point, fstype in mounts:
        point = point.replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fstype
    if kind.startswith("fuse") or kind.split(".")[0] in NETWORK_FILESYSTEMS:
        return kind
    return None
