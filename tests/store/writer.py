"""A writer process for the concurrency and durability tests: runs N commands through the
real write path and prints one line per command that returned (flushed at once)."""
import sys

from warroom.store import commands
from warroom.store.store import Store


def main(db: str, operator: str, count: int) -> None:
    with Store(db, operator) as store:
        for i in range(count):
            text = f"{operator}-{i}"
            if i % 3 == 0:
                result = commands.open_incident(store, text, 1 + i % 4)
                print(f"incident {result['incident']} {text}", flush=True)
            else:
                result = commands.note(store, text)
                print(f"note {result['note']} {text}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
