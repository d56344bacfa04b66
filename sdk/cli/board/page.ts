/**
 * The board's page: plain HTML, one stylesheet and one script, served by the CLI as they are
 * (no build step, no dependency). The script reads the token from the address and sends it with
 * every request; it writes what the API says with `textContent` only, never as HTML.
 */

/** The page; `token` (base64url, from the CLI) is the only thing put into it. */
export function boardHtml(token: string): string {
  const q = `?token=${encodeURIComponent(token)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gameservers board</title>
<link rel="stylesheet" href="/board.css${q}">
<script src="/board.js${q}" defer></script>
</head>
<body>
<header>
  <h1>gameservers board</h1>
  <span id="counts">connecting...</span>
  <form id="announce-form" autocomplete="off">
    <input id="announce-input" placeholder="Announce to every server shown, e.g. say Matches start in 10 minutes" aria-label="Command for every server">
    <button type="submit">Send to all</button>
  </form>
</header>
<div id="banner" role="status" hidden></div>
<section id="announce" aria-live="polite"><p id="announce-summary"></p><table><tbody id="announce-results"></tbody></table></section>
<main id="board"></main>
<aside id="console" hidden aria-label="Console">
  <header><h2 id="console-title"></h2><button id="console-close" type="button">Close</button></header>
  <div id="console-note"></div>
  <pre id="console-lines"></pre>
  <form id="console-form" autocomplete="off">
    <input id="console-input" placeholder="Console command, e.g. changelevel de_inferno" aria-label="Console command">
    <button type="submit">Send</button>
  </form>
  <div id="console-result"></div>
</aside>
</body>
</html>
`;
}

/** The page's stylesheet. */
export const BOARD_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
body > header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: Canvas; z-index: 1; }
body > header h1 { font-size: 16px; margin: 0; }
#counts { color: var(--muted); }
#announce-form { display: flex; gap: 6px; margin-left: auto; }
#announce-input { width: 22em; }
input, button { font: inherit; padding: 4px 8px; }
#banner { background: #fff8c5; color: #4d2d00; padding: 6px 16px; border-bottom: 1px solid var(--line); }
#announce { padding: 0 16px; }
#announce-summary:empty { display: none; }
#announce table { border-collapse: collapse; margin-bottom: 8px; }
#announce td { padding: 1px 10px 1px 0; }
.result-failed .result, .result-unknown .result { color: var(--bad); font-weight: 600; }
main { padding: 8px 16px 24px; }
.group-name { font-size: 14px; margin: 14px 0 6px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px; }
.tile { border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 6px; padding: 6px 8px; cursor: pointer; min-width: 0; }
.tile:hover, .tile:focus { outline: 2px solid #0969da; }
.tile[data-status="running"] { border-left-color: var(--ok); }
.tile[data-status="pending"], .tile[data-status="allocating"], .tile[data-status="starting"], .tile[data-status="provisioning"] { border-left-color: var(--warn); }
.tile[data-status="failed"] { border-left-color: var(--bad); background: color-mix(in srgb, var(--bad) 8%, Canvas); }
.tile.gone { border-left-color: var(--bad); opacity: 0.6; text-decoration-line: none; }
.tile header { display: flex; justify-content: space-between; gap: 6px; }
.tile h3 { font-size: 14px; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status { font-size: 12px; font-weight: 600; }
.tile.gone .status, .tile[data-status="failed"] .status { color: var(--bad); }
.where, .owner, .note, .secrets { font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.owner { color: var(--bad); }
.facts { display: flex; gap: 10px; font-size: 13px; }
.lines { font: 11px/1.3 ui-monospace, monospace; margin: 4px 0 0; height: 5.4em; overflow: hidden; white-space: pre; color: var(--muted); }
.note:empty, .secrets:empty { display: none; }
#console { position: fixed; right: 0; top: 0; bottom: 0; width: min(640px, 100%); background: Canvas; border-left: 1px solid var(--line); display: flex; flex-direction: column; padding: 10px; z-index: 2; box-shadow: -4px 0 12px rgb(0 0 0 / 15%); }
#console[hidden] { display: none; }
#console header { display: flex; justify-content: space-between; align-items: center; }
#console h2 { font-size: 15px; margin: 0; }
#console-note { font-size: 12px; color: var(--muted); }
#console-lines { flex: 1; overflow: auto; font: 12px/1.35 ui-monospace, monospace; border: 1px solid var(--line); padding: 6px; margin: 6px 0; white-space: pre-wrap; }
#console-form { display: flex; gap: 6px; }
#console-input { flex: 1; }
`;

/** The page's script: an EventSource on `/events`, and fetch() for the console and announcements. */
export const BOARD_JS = String.raw`"use strict";
(function () {
  var token = new URLSearchParams(location.search).get("token") || "";
  var query = "?token=" + encodeURIComponent(token);
  var tiles = new Map();
  var groups = new Map();
  var board = document.getElementById("board");
  var banner = document.getElementById("banner");
  var counts = document.getElementById("counts");
  var panel = document.getElementById("console");
  var panelTitle = document.getElementById("console-title");
  var panelNote = document.getElementById("console-note");
  var panelLines = document.getElementById("console-lines");
  var panelForm = document.getElementById("console-form");
  var panelInput = document.getElementById("console-input");
  var panelResult = document.getElementById("console-result");
  var openId = null;
  var openSeq = -1;
  /** Lines of the open console that came while its history was being fetched. */
  var early = [];

  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function post(path, command) {
    return fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-board-token": token },
      body: JSON.stringify({ command: command }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body.error || "HTTP " + res.status);
        return body;
      });
    });
  }

  function groupName(t) {
    if (t.owner) return t.owner.resource;
    if (t.orphan) return "No resource owns these";
    return "";
  }

  function groupEl(name) {
    var g = groups.get(name);
    if (g) return g;
    var section = node("section", "group");
    if (name) section.appendChild(node("h2", "group-name", name));
    var grid = node("div", "grid");
    section.appendChild(grid);
    section.dataset.group = name;
    // Resources first, by name; the servers no resource owns last.
    var after = null;
    groups.forEach(function (other, otherName) {
      if (!after && sortKey(otherName) > sortKey(name)) after = other.section;
    });
    board.insertBefore(section, after);
    g = { section: section, grid: grid };
    groups.set(name, g);
    return g;
  }

  function sortKey(name) {
    return (name === "No resource owns these" ? "2" : "1") + name;
  }

  function render(t) {
    var item = tiles.get(t.id);
    if (!item) {
      var el = node("article", "tile");
      el.dataset.id = t.id;
      el.tabIndex = 0;
      var head = node("header");
      var name = node("h3", "name");
      var status = node("span", "status");
      head.appendChild(name);
      head.appendChild(status);
      el.appendChild(head);
      var where = node("div", "where");
      var owner = node("div", "owner");
      var facts = node("div", "facts");
      var players = node("span", "players");
      var map = node("span", "map");
      facts.appendChild(players);
      facts.appendChild(map);
      var lines = node("pre", "lines");
      var note = node("div", "note");
      var secrets = node("div", "secrets");
      [where, owner, facts, lines, note, secrets].forEach(function (c) {
        el.appendChild(c);
      });
      el.addEventListener("click", function () {
        openConsole(t.id);
      });
      el.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") openConsole(t.id);
      });
      item = { el: el, name: name, status: status, where: where, owner: owner, players: players, map: map, lines: lines, note: note, secrets: secrets, group: null };
      tiles.set(t.id, item);
    }
    item.data = t;
    var group = groupName(t);
    if (item.group !== group) {
      groupEl(group).grid.appendChild(item.el);
      item.group = group;
    }
    item.el.dataset.status = t.gone ? "gone" : t.status;
    item.el.classList.toggle("gone", t.gone);
    item.name.textContent = t.owner && t.owner.key !== undefined ? t.owner.key + " \u00b7 " + t.name : t.name;
    item.status.textContent = t.gone ? (t.status === "not found" ? "not found" : "deleted") : t.status;
    item.where.textContent = (t.region || "-") + " \u00b7 " + t.address;
    item.owner.textContent = t.orphan ? "no resource owns it" + (t.orphan.length ? ": " + t.orphan.join(", ") : "") : "";
    item.owner.hidden = !t.orphan;
    item.players.textContent = t.players === null ? "players ?" : t.players + (t.players === 1 ? " player" : " players");
    item.players.title = t.players === null ? "unknown: the console's status needs a running server and a game-console:read_write key" : "";
    item.map.textContent = t.map || "";
    item.lines.textContent = t.lines.join("\n");
    var note = t.lastError || (t.console !== "live" && t.console !== "off" ? "console " + t.console + (t.consoleNote ? ": " + t.consoleNote : "") : t.consoleNote || "");
    item.note.textContent = note;
    item.secrets.textContent =
      t.rconPassword === null && t.serverPassword === null
        ? ""
        : "rcon " + (t.rconPassword === null ? "-" : t.rconPassword) + " \u00b7 join " + (t.serverPassword === null ? "-" : t.serverPassword);
    if (openId === t.id) showPanelState(t);
  }

  function showCounts() {
    var by = new Map();
    tiles.forEach(function (item) {
      var s = item.el.dataset.status;
      by.set(s, (by.get(s) || 0) + 1);
    });
    var parts = [];
    by.forEach(function (n, s) {
      parts.push(n + " " + s);
    });
    counts.textContent = tiles.size + (tiles.size === 1 ? " server" : " servers") + (parts.length ? ": " + parts.join(", ") : "") + " \u00b7 " + new Date().toTimeString().slice(0, 8);
  }

  function showPanelState(t) {
    var writable = !t.gone && t.console === "live";
    panelInput.disabled = !writable;
    panelForm.querySelector("button").disabled = !writable;
    panelNote.textContent = t.gone ? "The server is gone." : t.console === "read-only" ? "Read-only: the key lacks game-console:read_write." : "console " + t.console + (t.consoleNote ? ": " + t.consoleNote : "");
  }

  function openConsole(id) {
    var item = tiles.get(id);
    if (!item) return;
    openId = id;
    openSeq = -1;
    early = [];
    panel.hidden = false;
    panel.dataset.id = id;
    panelTitle.textContent = item.data.name;
    panelLines.textContent = "";
    panelResult.textContent = "";
    showPanelState(item.data);
    fetch("/api/servers/" + encodeURIComponent(id) + "/lines" + query)
      .then(function (res) {
        return res.json();
      })
      .then(function (body) {
        if (openId !== id) return;
        (body.lines || []).forEach(function (l) {
          appendLine(l.seq, l.line);
        });
        if (openSeq < 0) openSeq = 0;
        early.forEach(function (l) {
          appendLine(l.seq, l.line);
        });
        early = [];
        panelInput.focus();
      });
  }

  function appendLine(seq, line) {
    if (seq <= openSeq) return;
    openSeq = seq;
    panelLines.appendChild(document.createTextNode(line + "\n"));
    panelLines.scrollTop = panelLines.scrollHeight;
  }

  document.getElementById("console-close").addEventListener("click", function () {
    openId = null;
    panel.hidden = true;
  });

  panelForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var command = panelInput.value.trim();
    var id = openId;
    if (!command || !id) return;
    panelResult.textContent = "sending...";
    post("/api/servers/" + encodeURIComponent(id) + "/command", command).then(
      function (r) {
        panelResult.textContent = r.result + (r.error ? ": " + r.error : "");
        if (r.result === "sent") panelInput.value = "";
      },
      function (e) {
        panelResult.textContent = "failed: " + e.message;
      },
    );
  });

  document.getElementById("announce-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("announce-input");
    var out = document.getElementById("announce-results");
    var summary = document.getElementById("announce-summary");
    var command = input.value.trim();
    if (!command) return;
    summary.textContent = "sending to every shown server...";
    out.textContent = "";
    post("/api/announce", command).then(
      function (body) {
        var sent = 0;
        body.results.forEach(function (r) {
          if (r.result === "sent") sent++;
          var row = node("tr", "result-" + r.result);
          row.dataset.id = r.id;
          row.appendChild(node("td", "", r.name));
          row.appendChild(node("td", "result", r.result));
          row.appendChild(node("td", "", r.error || ""));
          out.appendChild(row);
        });
        summary.textContent = "Sent to " + sent + " of " + body.results.length + (body.results.length === 1 ? " server." : " servers.");
      },
      function (e) {
        summary.textContent = "failed: " + e.message;
      },
    );
  });

  var events = new EventSource("/events" + query);
  events.addEventListener("snapshot", function (ev) {
    var data = JSON.parse(ev.data);
    tiles.clear();
    groups.clear();
    board.textContent = "";
    data.tiles.forEach(render);
    banner.textContent = data.banner || "";
    banner.hidden = !data.banner;
    showCounts();
    document.body.dataset.ready = "true";
  });
  events.addEventListener("tiles", function (ev) {
    JSON.parse(ev.data).forEach(render);
    showCounts();
  });
  events.addEventListener("lines", function (ev) {
    JSON.parse(ev.data).forEach(function (l) {
      if (l.id !== openId) return;
      if (openSeq >= 0) appendLine(l.seq, l.line);
      else early.push(l);
    });
  });
  events.addEventListener("banner", function (ev) {
    var b = JSON.parse(ev.data).banner;
    banner.textContent = b || "";
    banner.hidden = !b;
  });
  events.onerror = function () {
    banner.textContent = "Lost the board's connection (is gameservers board still running?); retrying...";
    banner.hidden = false;
  };
})();
`;
