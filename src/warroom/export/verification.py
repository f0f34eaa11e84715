"""`warroom verify` of the journal for the export (the file's integrity and the hash chain;
not the state tables: the report is folded from the journal itself), run beside it in a
second process: hashing a long journal takes about as long as writing the report, so both
run at once. The report is
written assuming an intact journal; a broken one's warning must come first, so the export
then writes it again (exporter.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..store.store import Store


class Verification:
    """Started on entering; `problems()` waits for the answer. Should the second process
    fail, the same check runs here: a report is never issued unverified."""

    def __init__(self, path: Path):
        self.path = path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Verification:
        try:
            self.process = subprocess.Popen([sys.executable, "-m", __name__, str(self.path)],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except OSError:
            self.process = None
        return self

    def problems(self, store: Store) -> list[str]:
        if self.process is not None:
            output, _ = self.process.communicate()
            if self.process.returncode == 0:
                return json.loads(output)
        return store.verify(state=False)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def main(path: str) -> None:
    with Store(path, "warroom export", readonly=True) as store:
        json.dump(store.verify(state=False), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
