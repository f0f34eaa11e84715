"""An audience's status page: what it should know, as a view model (pure, from the summary of
`warroom status` and a few rows), and its HTML. No aiohttp here: status.py serves it.

The live page and the static page are the same markup from the same renderer: the server
sends each update as the `<main>` fragment it would put in a freshly loaded page. So every
piece of people's text goes through one escaping function (domain.visible.html_text:
controls and bidi overrides as visible marks, then HTML-escaped), tested once for both;
the browser holds no template of its own where a later edit could put a field through
innerHTML unescaped. Behind that, the Content-Security-Policy allows no script but the
page's own (by its hash: no inline handler, no injected <script> can run), loads nothing
from elsewhere, and with Trusted Types only that script's policy may write HTML."""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ..domain import timefmt
from ..domain.visible import html_text as esc

NOT_FOUND = "Not found\n"  # every refusal: an unknown audience and a wrong token look the same
UNAVAILABLE = "The war room is not available right now.\n"
NO_SCRIPT_REFRESH_S = 60

STYLE = """
:root { color-scheme: light dark; --ink: #1d2430; --muted: #5b6675; --line: #d5dbe3; --bg: #fff;
  --bad: #b3261e; --warn: #8a5300; --good: #1e6b35; --card: #f4f6f9; }
@media (prefers-color-scheme: dark) { :root { --ink: #e8ecf2; --muted: #a9b3c1; --line: #3a4350;
  --bg: #14181e; --card: #1e242c; --bad: #ff8a80; --warn: #ffcc80; --good: #a5d6a7; } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); margin: 0 auto; max-width: 46rem; padding: 12px 16px 32px; }
h1 { font-size: 1.5rem; margin: 8px 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 1rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; }
section { background: var(--card); border-radius: 10px; padding: 12px 14px; margin: 12px 0; }
p { margin: 4px 0; }
.big { font-size: 1.5rem; font-weight: 600; }
.muted, .aud { color: var(--muted); }
.hold { color: var(--bad); font-weight: 700; }
.sev1, .sev2 { color: var(--bad); font-weight: 700; }
.sev3 { color: var(--warn); }
.none { color: var(--good); }
progress { width: 100%; height: 14px; }
ul { margin: 6px 0 0; padding-left: 1.2rem; }
li { margin: 4px 0; overflow-wrap: anywhere; }
blockquote { margin: 6px 0; padding-left: 10px; border-left: 4px solid var(--line); white-space: pre-wrap;
  overflow-wrap: anywhere; }
footer { font-size: .9rem; color: var(--muted); margin-top: 16px; }
a { color: inherit; }
"""

SCRIPT = """
(function () {
  "use strict";
  var main = document.getElementById("status");
  var live = document.getElementById("live");
  var offset = 0;
  var policy = window.trustedTypes ? window.trustedTypes.createPolicy("status", {
    createHTML: function (html) { return html; }  // the server's own escaped fragment
  }) : { createHTML: function (html) { return html; } };
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function label(now, golive) {
    var s = Math.floor(Math.abs(now - golive) / 1000), days = Math.floor(s / 86400);
    s -= days * 86400;
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sign = now < golive ? "-" : "+";
    return days ? "T" + sign + days + "d " + pad(h) + ":" + pad(m) : "T" + sign + h + ":" + pad(m) + ":" + pad(s % 60);
  }
  function sync() { offset = Number(main.getAttribute("data-now")) - Date.now(); }
  function tick() {
    var golive = main.getAttribute("data-golive"), clock = document.getElementById("tclock");
    if (golive && clock) { clock.textContent = label(Date.now() + offset, Number(golive)); }
  }
  function say(text) { live.textContent = text; }
  sync();
  setInterval(tick, 1000);
  if (!window.EventSource) { return; }
  var source = new EventSource(location.pathname.replace(/\\/+$/, "") + "/events" + location.search);
  source.addEventListener("open", function () { say("Live: this page updates by itself."); });
  source.addEventListener("status", function (event) {
    var template = document.createElement("template");
    template.innerHTML = policy.createHTML(JSON.parse(event.data).html);
    var fresh = template.content.firstElementChild;
    if (fresh && fresh.id === "status") { main.replaceWith(fresh); main = fresh; sync(); tick(); }
  });
  source.addEventListener("gone", function (event) {
    source.close();
    say(JSON.parse(event.data).reason);
  });
  source.addEventListener("error", function () {
    say(source.readyState === EventSource.CLOSED
      ? "Live updates stopped (this link may no longer work). Refresh to try again."
      : "Reconnecting…");
  });
})();
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CSP = ("default-src 'none'; "
       f"script-src '{_sha256(SCRIPT)}'; style-src '{_sha256(STYLE)}'; "
       "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
       "require-trusted-types-for 'script'; trusted-types status")
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


# -- the view model ----------------------------------------------------------------------------
def status_of(summary: Mapping[str, Any], audience: Mapping[str, Any], incidents: Sequence[Mapping[str, Any]],
              message: Mapping[str, Any] | None, now: int) -> dict[str, Any]:
    """What `audience` should know, from `warroom status`'s summary (domain.figures.summary),
    the open incidents (ref, title, severity, status), and the last message sent to it
    (text, sent_at or happened_at). Incident titles and a decision's rationale only for an
    audience whose plan says `details: true`."""
    details = bool(audience.get("details"))
    steps = summary["steps"]
    golive = summary.get("golive")
    latest = summary.get("latest_decision")
    decision = None
    if latest:
        decision = {"kind": latest["kind"], "by": latest["decided_by"], "at": latest["happened_at"]}
        if details:
            decision["why"] = latest["rationale"]
    open_incidents = sorted(incidents, key=lambda i: (i["severity"], i["ref"]))
    return {
        "audience": audience["key"],
        "audience_title": audience["title"],
        "details": details,
        "name": summary.get("name") or "",
        "timezone": summary.get("timezone") or "UTC",
        "now": now,
        "golive": golive,
        "t": timefmt.t_label(now, golive) if golive is not None else None,
        "phase": str(summary["phase"]) if summary.get("phase") is not None else None,
        "hold": bool(summary.get("hold")),
        "steps": {"done": steps.get("done", 0), "skipped": steps.get("skipped", 0), "total": steps.get("total", 0),
                  "late": steps.get("late", 0), "in_progress": steps.get("in_progress", 0)},
        "finish": (summary.get("forecast") or {}).get("finish"),
        "incidents": {
            "open": summary["incidents"]["open"],
            "by_severity": dict(summary["incidents"]["open_by_severity"]),
            "titles": [{"ref": i["ref"], "title": i["title"], "severity": i["severity"], "status": i["status"]}
                       for i in open_incidents] if details else None,
        },
        "decision": decision,
        "message": {"text": message["text"], "at": message.get("sent_at") or message["happened_at"]}
        if message else None,
    }


def _when(ms: int | None, now: int, tz_name: str, seconds: bool = False) -> str:
    if ms is None:
        return ""
    tz = timefmt.zone(tz_name)
    if not timefmt.in_range(ms):
        return timefmt.invalid(ms)
    clock = "%H:%M:%S %Z" if seconds else "%H:%M %Z"
    same_day = timefmt.show(ms, tz, "%Y-%m-%d") == timefmt.show(now, tz, "%Y-%m-%d")
    return timefmt.show(ms, tz, clock if same_day else f"%a %d %b {clock}")


# -- HTML --------------------------------------------------------------------------------------
def fragment(view: Mapping[str, Any]) -> str:
    """The page's `<main>`: what a fresh page holds, and what each live update replaces it with.
    Every text from the war room goes through `esc`."""
    now, tz = view["now"], view["timezone"]
    golive = view["golive"]
    out = [f'<main id="status" data-now="{int(now)}"' + (f' data-golive="{int(golive)}"' if golive is not None else "")
           + ">"]
    out.append(f'<h1>{esc(view["name"])}</h1><p class="aud">Status for {esc(view["audience_title"])}</p>')
    out.append('<section aria-label="Where we are">')
    if view["t"] is not None:
        phase = f' · {esc(view["phase"])}' if view["phase"] else ""
        out.append(f'<p class="big"><span id="tclock">{esc(view["t"])}</span>{phase}</p>'
                   f'<p class="muted">go-live {esc(_when(golive, now, tz))}</p>')
    if view["hold"]:
        out.append('<p class="hold">On hold</p>')
    out.append("</section>")

    steps = view["steps"]
    out.append('<section aria-label="Runbook"><h2>Runbook</h2>'
               f'<p class="big">{steps["done"]} of {steps["total"]} steps done</p>'
               f'<progress max="{max(steps["total"], 1)}" value="{steps["done"]}"></progress>')
    extra = [f"{steps['in_progress']} in progress"] if steps["in_progress"] else []
    extra += [f"{steps['skipped']} skipped"] if steps["skipped"] else []
    extra += [f"{steps['late']} late"] if steps["late"] else []
    if extra:
        out.append(f'<p class="muted">{esc(", ".join(extra))}</p>')
    if view["finish"] is not None:
        out.append(f'<p>Projected finish: <strong>{esc(_when(view["finish"], now, tz))}</strong></p>')
    out.append("</section>")

    incidents = view["incidents"]
    out.append('<section aria-label="Incidents"><h2>Open incidents</h2>')
    if not incidents["open"]:
        out.append('<p class="big none">None</p>')
    else:
        counts = ", ".join(f'<span class="{esc(sev.lower())}">{n} {esc(sev)}</span>'
                           for sev, n in incidents["by_severity"].items())
        out.append(f'<p class="big">{incidents["open"]} open</p><p>{counts}</p>')
        if incidents["titles"] is not None:
            out.append("<ul>" + "".join(
                f'<li><span class="sev{int(i["severity"])}">SEV{int(i["severity"])}</span> {esc(i["ref"])}: '
                f'{esc(i["title"])} <span class="muted">({esc(i["status"])})</span></li>'
                for i in incidents["titles"]) + "</ul>")
    out.append("</section>")

    decision = view["decision"]
    out.append('<section aria-label="Decision in force"><h2>Decision in force</h2>')
    if decision is None:
        out.append('<p class="muted">No decision yet</p>')
    else:
        out.append(f'<p class="big">{esc(decision["kind"].upper())}</p>'
                   f'<p>by {esc(decision["by"])}, {esc(_when(decision["at"], now, tz))}</p>')
        if decision.get("why"):
            out.append(f"<blockquote>{esc(decision['why'])}</blockquote>")
    out.append("</section>")

    message = view["message"]
    out.append(f'<section aria-label="Last message"><h2>Last message to {esc(view["audience_title"])}</h2>')
    if message is None:
        out.append('<p class="muted">None sent yet</p>')
    else:
        out.append(f'<blockquote id="message">{esc(message["text"])}</blockquote>'
                   f'<p class="muted">sent {esc(_when(message["at"], now, tz))}</p>')
    out.append("</section>")
    out.append(f'<p class="muted">Updated {esc(_when(now, now, tz, seconds=True))}</p></main>')
    return "".join(out)


def page(view: Mapping[str, Any], token: str) -> str:
    """The whole page: the fragment, a refresh link (all a reader with scripts off needs; the
    page also reloads itself every minute then), and the script that keeps it live."""
    here = esc(f"/status/{quote(view['audience'], safe='')}?token={quote(token, safe='')}")
    title = esc(f"{view['name']} — status for {view['audience_title']}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<noscript><meta http-equiv="refresh" content="{NO_SCRIPT_REFRESH_S}"></noscript>\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{fragment(view)}\n"
        f'<footer><p><a id="refresh" href="{here}">Refresh</a> · <span id="live" role="status">'
        "Updates when you refresh.</span></p>"
        "<noscript><p>Scripts are off: this page shows the war room as it was when it loaded, and reloads "
        f"every {NO_SCRIPT_REFRESH_S} s; use Refresh for the latest.</p></noscript></footer>\n"
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
