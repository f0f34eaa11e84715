"""Whatever people type is stored and read back exactly, or refused with a reason."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.store import commands

HOSTILE = [
    "[/]", "[bold red]alarm[/bold red]", "\x1b[2J\x1b[31mESC\x1b[0m", "bell\x07 and NUL\x00 inside",
    "tab\there\r\nnewline", "Déploiement échoué — café", "🔥🚀 emoji 👩‍💻", "שלום עולם مرحبا",
    "<script>alert(1)</script>", "=HYPERLINK(\"x\")", "'; DROP TABLE events; --", "x" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_text_round_trips_byte_for_byte_everywhere(store, text):
    commands.open_incident(store, text, 2)
    commands.update_incident(store, "INC-1", note=text)
    commands.note(store, text, tags=("retro",))
    commands.log_message(store, "sponsors", text, channel=text)
    commands.decide(store, "hold", text, text)
    commands.assign(store, "qa", text, contact=text)
    commands.step(store, "skip", "prepare", note=text)
    back = store.query("""
        SELECT (SELECT title FROM incidents) AS title, (SELECT note FROM incident_updates) AS upd,
               (SELECT text FROM notes) AS note, (SELECT text FROM messages) AS msg,
               (SELECT channel FROM messages) AS channel, (SELECT decided_by FROM decisions) AS by,
               (SELECT rationale FROM decisions) AS why, (SELECT reason FROM steps WHERE id='prepare') AS reason,
               (SELECT person FROM assignments WHERE role='qa') AS person,
               (SELECT contact FROM assignments WHERE role='qa') AS contact""")[0]
    assert all(value == text for value in back.values()), back
    assert all(isinstance(v, str) and len(v.encode()) == len(text.encode()) for v in back.values())
    assert store.verify() == []


def test_operator_name_is_kept_exactly(db_path):
    from warroom.store.store import Store
    with Store(db_path, "Zoë [bold]\x1b[0m") as store:
        commands.note(store, "x")
        assert store.query("SELECT operator FROM events ORDER BY id DESC LIMIT 1")[0]["operator"] == "Zoë [bold]\x1b[0m"


def test_text_beyond_a_megabyte_is_refused_clearly(store):
    with pytest.raises(ValueError, match="longer than 1,000,000 characters"):
        commands.note(store, "x" * 1_000_001)


utf8_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=utf8_text)
def test_any_text_round_trips(store, text):
    note_id = commands.note(store, text)["note"]
    assert store.query("SELECT text FROM notes WHERE id=?", (note_id,))[0]["text"] == text
