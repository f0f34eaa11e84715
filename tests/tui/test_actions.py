"""Every action on every screen, pressed as a person would; what counts is what the FILE
holds afterwards."""
from __future__ import annotations

import os

from textual.color import Color
from textual.widgets import Select

from warroom.app import WarRoomApp
from warroom.screens.help import HelpScreen
from warroom.screens.timeline import PAGE
from warroom.widgets.confirm import ConfirmScreen
from warroom.widgets.form import FormScreen
from warroom.widgets.keybar import KeyBar

from .helpers import ready, rows, settle, type_into, until

SIZE = (120, 40)


def console(db_path, operator="Alice Martin") -> WarRoomApp:
    return WarRoomApp(db_path, operator)


async def pick(pilot, selector: str, value) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


async def test_an_incident_takes_three_keys_and_its_title(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "o")
        await pilot.press(*"Checkout")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
    assert rows(db_path, "SELECT ref, title, severity, status, opened_by FROM incidents") == [
        ("INC-1", "Checkout", 2, "open", "Alice Martin")]


async def test_i_opens_an_incident_from_any_screen(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6", "i", *"Down", "enter")
        await settle(pilot)
    assert rows(db_path, "SELECT title FROM incidents") == [("Down",)]


async def test_overview_records_a_kpi_reading(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("k")
        await type_into(pilot, "#field-value", "3.4")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert rows(db_path, "SELECT kpi, value, operator FROM kpi_readings") == [("conversion", 3.4, "Alice Martin")]


async def test_a_kpi_value_that_is_not_a_number_records_nothing(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("k")
        await type_into(pilot, "#field-value", "lots")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
    assert rows(db_path, "SELECT COUNT(*) FROM kpi_readings") == [(0,)]


async def test_runbook_start_done_and_the_gate(db_path):
    from warroom.store import commands
    from warroom.store.store import Store
    with Store(db_path, "Alice Martin") as store:
        commands.assign(store, "qa", "Alice Martin")  # she signs for both roles
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.table.current_key == "prepare"
        await pilot.press("s")
        await until(pilot, lambda: app.room.tables["steps"]["prepare"]["status"] == "in_progress")
        await pilot.press("d")
        await until(pilot, lambda: app.room.tables["steps"]["prepare"]["status"] == "done")
        await pilot.press("down", "g")
        await pick(pilot, "#field-role", "rm")
        await type_into(pilot, "#field-note", "ready")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("g")
        await pick(pilot, "#field-role", "qa")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.tables["steps"]["gate-go"]["status"] == "done")
    assert rows(db_path, "SELECT status, started_at IS NOT NULL, ended_at IS NOT NULL FROM steps"
                " WHERE id='prepare'") == [("done", 1, 1)]
    assert rows(db_path, "SELECT role, verdict, signed_by, comment FROM signoffs ORDER BY id") == [
        ("rm", "go", "Alice Martin", "ready"), ("qa", "go", "Alice Martin", "")]
    assert rows(db_path, "SELECT status FROM steps WHERE id='gate-go'") == [("done",)]


async def test_runbook_fail_skip_block_unblock_and_force_ask_a_reason(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("s")
        await until(pilot, lambda: app.room.tables["steps"]["prepare"]["status"] == "in_progress")
        await pilot.press("f", *"notes", "space", *"lost", "enter")
        await until(pilot, lambda: app.room.tables["steps"]["prepare"]["status"] == "failed")
        await pilot.press("down", "down", "down", "down", "b", *"vendor", "enter")  # smoke
        await until(pilot, lambda: app.room.tables["steps"]["smoke"]["status"] == "blocked")
        await pilot.press("u")
        await until(pilot, lambda: app.room.tables["steps"]["smoke"]["status"] == "pending")
        await pilot.press("k", *"manual", "enter")
        await until(pilot, lambda: app.room.tables["steps"]["smoke"]["status"] == "skipped")
        await pilot.press("up", "F", *"urgent", "enter")  # deploy waits for the gate: forced
        await until(pilot, lambda: app.room.tables["steps"]["deploy"]["status"] == "in_progress")
    assert rows(db_path, "SELECT id, status, reason, forced FROM steps WHERE id IN ('prepare','smoke','deploy')"
                " ORDER BY position") == [("prepare", "failed", "notes lost", 0),
                                          ("deploy", "in_progress", "urgent", 1),
                                          ("smoke", "skipped", "manual", 0)]
    assert rows(db_path, "SELECT action FROM events WHERE entity='step' ORDER BY id") == [
        ("step.start",), ("step.fail",), ("step.block",), ("step.unblock",), ("step.skip",), ("step.start",)]


async def test_a_refused_step_changes_nothing_and_says_why(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2", "d")  # a pending step cannot be done
        await settle(pilot)
        notices = [n.message for n in app._notifications]
        assert any("'done' needs it to be in_progress" in m for m in notices), notices
    assert rows(db_path, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_board_updates_an_incident_and_triggers_and_closes_a_risk(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "o", *"Slow", "enter")
        await until(pilot, lambda: 1 in app.room.tables["incidents"])
        await pilot.press("u")
        await pick(pilot, "#field-status", "investigating")
        await pick(pilot, "#field-severity", 1)
        await type_into(pilot, "#field-note", "DB at 100% CPU")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.tables["incidents"][1]["severity"] == 1)
        await pilot.press("tab", "r", *"locked", "enter")
        await until(pilot, lambda: app.room.tables["risks"]["db-lock"]["status"] == "triggered")
        await pilot.press("x", *"done", "enter")
        await until(pilot, lambda: app.room.tables["risks"]["db-lock"]["status"] == "closed")
    assert rows(db_path, "SELECT status, severity, note FROM incident_updates") == [
        ("investigating", 1, "DB at 100% CPU")]
    assert rows(db_path, "SELECT ref, severity, risk, step FROM incidents ORDER BY number") == [
        ("INC-1", 1, None, None), ("INC-2", 1, "db-lock", "deploy")]
    assert rows(db_path, "SELECT status, incident FROM risks") == [("closed", "INC-2")]


async def test_board_records_a_decision(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3", "d")
        await pick(pilot, "#field-kind", "hold")
        await type_into(pilot, "#field-decided_by", "Bob Chen")
        await type_into(pilot, "#field-rationale", "waiting for the bank")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.room.meta("hold") != "")
    assert rows(db_path, "SELECT kind, decided_by, recorded_by, rationale FROM decisions") == [
        ("hold", "Bob Chen", "Alice Martin", "waiting for the bank")]


async def rollback_form(pilot, decider: str) -> None:
    await pilot.press("3", "d")
    await pick(pilot, "#field-kind", "rollback")
    await type_into(pilot, "#field-decided_by", decider)
    await type_into(pilot, "#field-rationale", "payments failing")
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_a_rollback_asks_first_and_names_who_may_decide(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await rollback_form(pilot, "Alice Martin")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Alice Martin (Release manager)" in app.screen.question.plain
        await pilot.press("y")
        await until(pilot, lambda: bool(app.room.tables["decisions"]))
        assert not isinstance(app.screen, (ConfirmScreen, FormScreen))
    assert rows(db_path, "SELECT kind, decided_by, forced FROM decisions") == [("rollback", "Alice Martin", 0)]


async def test_a_rollback_answered_no_records_nothing(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await rollback_form(pilot, "Alice Martin")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # what was typed is still there
    assert rows(db_path, "SELECT COUNT(*) FROM decisions") == [(0,)]


async def test_a_rollback_by_someone_without_the_role_is_refused_and_the_form_stays(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await rollback_form(pilot, "Mallory")
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert any("Mallory holds no role" in n.message for n in app._notifications)
    assert rows(db_path, "SELECT COUNT(*) FROM decisions") == [(0,)]


async def test_roles_assign_and_hand_over_keep_the_history(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "down", "down", "a")  # qa: nobody yet
        await type_into(pilot, "#field-person", "Chloé")
        await type_into(pilot, "#field-contact", "@chloe")
        await pilot.press("enter")
        await until(pilot, lambda: "qa" in {a["role"] for a in app.room.tables["assignments"].values()})
        await pilot.press("a")
        await type_into(pilot, "#field-person", "Dan")
        await pilot.press("enter")
        await until(pilot, lambda: len([a for a in app.room.tables["assignments"].values() if a["role"] == "qa"]) == 2)
    assert rows(db_path, "SELECT person, contact, ended_at IS NULL FROM assignments WHERE role='qa' ORDER BY id") == [
        ("Chloé", "@chloe", 0), ("Dan", "", 1)]


async def test_comms_message_from_the_live_draft_then_a_draft_marked_sent(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5", "m")
        draft = app.screen.query_one("#field-text").text
        assert "Test go-live" in draft and "Runbook: 0/6 steps done" in draft
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(app.room.tables["messages"]) == 1)
        await pilot.press("m")
        await type_into(pilot, "#field-text", "Draft for support")
        await pick(pilot, "#field-audience", "support")
        app.screen.query_one("#field-draft").value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(app.room.tables["messages"]) == 2)
        await pilot.press("tab", "up", "s")  # the cursor stayed on its row: the draft is on top
        await until(pilot, lambda: app.room.tables["messages"][2]["status"] == "sent")
    assert rows(db_path, "SELECT audience, channel, status, sent_at IS NOT NULL FROM messages ORDER BY id") == [
        ("sponsors", "email", "sent", 1), ("support", "chat", "sent", 1)]
    assert rows(db_path, "SELECT action FROM events WHERE entity='message' ORDER BY id") == [
        ("comm.sent",), ("comm.draft",), ("comm.send",)]


async def test_comms_filter_shows_one_audience(db_path):
    from warroom.store import commands
    from warroom.store.store import Store
    with Store(db_path, "Bob") as store:
        sponsors = str(commands.log_message(store, "sponsors", "to sponsors")["message"])
        support = str(commands.log_message(store, "support", "to support")["message"])
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5", "f")
        await settle(pilot)
        assert app.screen.messages_table.keys == {sponsors}
        await pilot.press("f")
        assert app.screen.messages_table.keys == {sponsors, support}


async def test_timeline_note_with_tags_filter_and_older_pages(db_path):
    from warroom.store import commands
    from warroom.store.store import Store
    with Store(db_path, "Bob") as store:
        for i in range(250):
            commands.note(store, f"old note {i}")
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("6", "n")
        await type_into(pilot, "#field-text", "Backup took 40 min")
        await type_into(pilot, "#field-tags", "retro capacity")
        await pilot.press("enter")
        await until(pilot, lambda: app.room.last_id == 252)
        table = app.screen.table
        assert table.row_count == PAGE + 1 and "252" in table.keys
        await pilot.press("m")
        await until(pilot, lambda: table.row_count == 2 * PAGE + 1)
        await pilot.press("m")
        await until(pilot, lambda: table.row_count == 252)
        await pilot.press("slash", *"Backup")
        await until(pilot, lambda: table.keys == {"252"})
        await pilot.press("escape")
        assert app.screen.focused is table
    assert rows(db_path, "SELECT text, tags, operator FROM notes ORDER BY id DESC LIMIT 1") == [
        ("Backup took 40 min", '["retro", "capacity"]', "Alice Martin")]


async def test_help_lists_every_key_and_q_quits(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listing = app.screen.listing().plain
        for description in ("Sign gate", "Open incident", "Assign / hand over", "Mark sent", "Earlier events",
                            "Correct time", "Retract", "KPI reading", "Comms", "Quit"):
            assert description in listing
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_command_palette_lists_the_screen_actions(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Runbook: Sign gate" in titles and "Board" in titles and "Incident" in titles


async def test_a_read_only_file_opens_read_only_and_records_nothing(db_path):
    db_path.chmod(0o444)
    try:
        app = WarRoomApp(db_path, "Alice Martin", readonly=os.geteuid() == 0)  # root may write anyway
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert "READ-ONLY" in app.header(app.now(), 120).plain
            await pilot.press("i")
            await settle(pilot)
            assert not isinstance(app.screen, FormScreen)
            assert any("read-only" in n.message for n in app._notifications)
    finally:
        db_path.chmod(0o660)
    assert rows(db_path, "SELECT COUNT(*) FROM events") == [(1,)]


async def test_the_mouse_works_on_the_footer_and_in_lists(db_path):
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        x = next(start for start, _, binding in bar._spots if binding.action == "assign")
        await pilot.click("#roles-table", offset=(2, 3))  # the third role: qa
        await pilot.click(KeyBar, offset=(x, 0))
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_into(pilot, "#field-person", "Dan")
        await pilot.click("#form-save")
        await until(pilot, lambda: any(a["person"] == "Dan" for a in app.room.tables["assignments"].values()))
    assert rows(db_path, "SELECT role FROM assignments WHERE person='Dan'") == [("qa",)]


async def test_every_screen_takes_the_theme(db_path):
    """Screens made before and after a theme change (each is made on its first visit) all
    wear the theme in force."""
    app = console(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        themes = (("textual-dark", "1"), ("textual-light", "123"), ("nord", "123456"), ("gruvbox", "654321"))
        for theme, keys in themes:
            app.theme = theme
            await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
                colours = app.get_css_variables()
                bar = app.screen.query_one(KeyBar)
                assert (app.screen.styles.background, bar.styles.background) == (
                    Color.parse(colours["background"]), Color.parse(colours["footer-background"])), (theme, key)
                assert bar.content.spans[0].style == f"bold {colours['footer-key-foreground']}", (theme, key)
                if key == "1":
                    assert drawn_colour(app.screen.query_one("#overview-runbook"), "done") == colours["foreground"]


def drawn_colour(widget, text: str) -> str:
    """The colour `text` is drawn in, as '#RRGGBB'."""
    segment = next(s for y in range(widget.size.height) for s in widget.render_line(y) if text in s.text)
    return segment.style.color.triplet.hex.upper()


async def test_board_shows_the_worst_first_and_pages_the_rest(db_path):
    from warroom.screens.board import PAGE as BOARD_PAGE
    from warroom.store import commands
    from warroom.store.store import Store
    with Store(db_path, "Bob") as store:
        for i in range(BOARD_PAGE + 50):
            commands.open_incident(store, f"incident {i}", 4 if i else 1)
    app = console(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.incidents
        await until(pilot, lambda: table.row_count == BOARD_PAGE)
        assert table.current_key == "1"  # the SEV1 on top
        await pilot.press("m")
        await until(pilot, lambda: table.row_count == BOARD_PAGE + 50)
    assert rows(db_path, "SELECT COUNT(*) FROM incidents") == [(BOARD_PAGE + 50,)]


async def test_e_exports_the_report_even_read_only(db_path, tmp_path):
    app = WarRoomApp(db_path, "Viewer", readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("e")
        await pick(pilot, "#field-fmt", "md")
        await type_into(pilot, "#field-out", str(tmp_path / "day.md"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: (tmp_path / "day.md").exists() and not isinstance(app.screen, FormScreen),
                    timeout=30)
        await pilot.press("e")
        await type_into(pilot, "#field-out", str(tmp_path / "day.md"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # refused: the form stays open, nothing replaced
    report = (tmp_path / "day.md").read_text(encoding="utf-8")
    assert report.startswith("# Go-live report: Test go-live")


def test_every_mode_names_its_screen_module_and_class():
    from warroom.app import MODE_NAMES, screen_class

    assert [(screen_class(m).MODE, screen_class(m).TITLE) for m in MODE_NAMES] == [
        (m, m.title()) for m in MODE_NAMES]
