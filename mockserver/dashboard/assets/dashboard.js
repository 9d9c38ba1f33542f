// The dashboard's live part: polls the admin JSON endpoints, redraws the tables and wires
// the controls. Every value reaches the page through textContent or DOM properties, never
// as HTML: a prompt is user input. The admin token, when the mock has one, is kept in this
// tab's sessionStorage and sent only as the X-Mock-Admin-Token header, never in a URL.
"use strict";

(() => {
  const POLL_MS = 1000;
  const JOURNAL_ROWS = 200; // as mockserver/dashboard/page.py
  const PROMPT_CHARS = 160;
  const TOKEN_KEY = "vidu-mock-admin-token";
  const PER_WORKER_ROW = // as mockserver/dashboard/page.py
    "Not shown: this server runs several worker processes on in-memory state, so each worker has its own " +
    "journal, tasks and failures. Start it with --state redis://host:port/db to see them here.";
  const byId = (id) => document.getElementById(id);

  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let locked = false;
  let busy = false;
  let again = false;
  const journalRows = new Map(); // "seq:time" -> <tr>
  const taskRows = new Map(); // task id -> {tr, cells, ...}
  const lastJson = {}; // table -> the JSON last drawn, to redraw only on change

  class Forbidden extends Error {}
  class PerWorker extends Error {} // in-memory state under several workers: each has its own

  async function api(method, path, body) {
    const headers = {};
    if (token) headers["X-Mock-Admin-Token"] = token;
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    // Every write is JSON, an empty one included: the mock refuses admin writes of any other
    // type, which is what keeps the pages of other sites from sending them.
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    const response = await fetch("/__mock/" + path, init);
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    const error = data && data.error;
    if (response.status === 403 && error && error.code === "admin_forbidden") throw new Forbidden(error.message);
    if (response.status === 409 && error && error.code === "state_not_shared") throw new PerWorker(error.message);
    if (!response.ok) throw new Error(error && error.message ? error.message : "HTTP " + response.status);
    return data;
  }

  // -- drawing -------------------------------------------------------------------------
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function setText(node, text) {
    const value = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== value) node.textContent = value;
  }

  function emptyRow(columns, text) {
    const td = el("td", text);
    td.colSpan = columns;
    const tr = el("tr", null, "empty");
    tr.append(td);
    return tr;
  }

  function sync(tbody, rows, columns, emptyText) {
    if (!rows.length) rows = [emptyRow(columns, emptyText)];
    const current = Array.from(tbody.children);
    if (current.length === rows.length && current.every((node, i) => node === rows[i])) return;
    tbody.replaceChildren(...rows);
  }

  const pad = (n) => String(n).padStart(2, "0");
  const iso = (seconds) => new Date(seconds * 1000).toISOString();
  const clockText = (seconds) => iso(seconds).slice(0, 19).replace("T", " ") + " UTC";
  const timeText = (seconds) => iso(seconds).slice(11, 19);
  const latencyText = (ms) => (typeof ms === "number" ? ms.toFixed(1) + " ms" : "");
  const settingText = (value) => (typeof value === "string" ? value : JSON.stringify(value));

  function promptText(body) {
    const prompt = body && typeof body === "object" ? body.prompt : null;
    if (typeof prompt !== "string") return "";
    return prompt.length <= PROMPT_CHARS ? prompt : prompt.slice(0, PROMPT_CHARS) + "\u2026";
  }

  function journalRow(entry) {
    const tr = el("tr");
    tr.append(
      el("td", entry.seq, "num"),
      el("td", timeText(entry.time)),
      el("td", entry.method),
      el("td", entry.path, "path"),
      el("td", entry.status, "status s" + Math.floor(entry.status / 100)),
      el("td", latencyText(entry.latency_ms), "num"),
      el("td", entry.model),
      el("td", entry.mode),
      el("td", promptText(entry.body), "prompt"),
      el("td", entry.message, "message"),
      el("td", entry.injected, entry.injected ? "injected" : ""),
    );
    return tr;
  }

  function drawJournal(entries) {
    const shown = entries.slice(-JOURNAL_ROWS).reverse();
    const keep = new Map();
    const rows = shown.map((entry) => {
      const key = entry.seq + ":" + entry.time;
      const tr = journalRows.get(key) || journalRow(entry);
      keep.set(key, tr);
      return tr;
    });
    journalRows.clear();
    keep.forEach((tr, key) => journalRows.set(key, tr));
    sync(byId("journal-rows"), rows, 11, "No requests yet.");
  }

  const ACTIONS = [
    ["advance", "Advance"],
    ["complete", "Complete"],
    ["fail", "Fail"],
  ];

  function taskRow(task) {
    const tr = el("tr");
    tr.dataset.id = task.id;
    const cells = {};
    for (const name of ["id", "model", "mode", "status"]) cells[name] = el("td", null, name === "id" ? "id" : "");
    const progress = el("progress");
    progress.max = 100;
    const percent = el("span");
    const progressCell = el("td");
    progressCell.append(progress, " ", percent);
    cells.outcome = el("td");
    cells.video = el("td");
    const actions = el("td", null, "actions");
    const buttons = ACTIONS.map(([action, label]) => {
      const button = el("button", label);
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", () =>
        act(() => api("POST", "tasks/" + encodeURIComponent(task.id), { action }), label + ": " + task.id),
      );
      return button;
    });
    actions.append(...buttons);
    tr.append(cells.id, cells.model, cells.mode, cells.status, progressCell, cells.outcome, cells.video, actions);
    return { tr, cells, progress, percent, buttons, video: null };
  }

  function updateTask(row, task) {
    setText(row.cells.id, task.id);
    setText(row.cells.model, task.model);
    setText(row.cells.mode, task.mode);
    setText(row.cells.status, task.state || task.status); // Vidu's state name in the vidu dialect
    row.cells.status.className = "status " + task.status;
    row.progress.value = task.progress;
    setText(row.percent, task.progress + "%");
    setText(row.cells.outcome, task.outcome);
    const final = task.status === "completed" || task.status === "failed";
    for (const button of row.buttons) button.disabled = final;
    // The admin API's preview, never the API's download: the page observes, it never uses up a
    // queued content failure or adds to the journal.
    const path = task.preview_path;
    if (!row.video && typeof path === "string" && path.startsWith("/__mock/tasks/")) {
      const video = el("video");
      video.controls = true;
      video.muted = true;
      video.preload = "metadata";
      video.playsInline = true;
      row.cells.video.append(video);
      row.video = video;
      showPreview(video, path);
    }
  }

  // A <video> cannot send the admin token header: with a token, fetch the video and play it from memory.
  async function showPreview(video, path) {
    if (!token) {
      video.src = path;
      return;
    }
    try {
      const response = await fetch(path, { headers: { "X-Mock-Admin-Token": token }, cache: "no-store", credentials: "omit" });
      if (response.ok) video.src = URL.createObjectURL(await response.blob());
    } catch {
      // no preview; the rest of the page goes on
    }
  }

  function drawTasks(tasks) {
    const keep = new Map();
    const rows = tasks
      .slice()
      .reverse()
      .map((task) => {
        const row = taskRows.get(task.id) || taskRow(task);
        updateTask(row, task);
        keep.set(task.id, row);
        return row.tr;
      });
    taskRows.clear();
    keep.forEach((row, id) => taskRows.set(id, row));
    sync(byId("task-rows"), rows, 8, "No tasks yet.");
  }

  function changed(name, value) {
    const json = JSON.stringify(value);
    if (lastJson[name] === json) return false;
    lastJson[name] = json;
    return true;
  }

  function drawRules(rules) {
    if (!changed("rules", rules)) return;
    const rows = rules.map((rule) => {
      const tr = el("tr");
      tr.append(
        el("td", rule.error),
        el("td", rule.fault),
        el("td", rule.delay_ms ? rule.delay_ms + " ms" : ""),
        el("td", rule.times),
        el("td", rule.endpoint),
        el("td", rule.model),
        el("td", rule.mode),
      );
      return tr;
    });
    sync(byId("rule-rows"), rows, 7, "No failures queued.");
  }

  function drawCallbacks(deliveries) {
    if (!changed("callbacks", deliveries)) return;
    const rows = deliveries.slice(-JOURNAL_ROWS).reverse().map((record) => {
      const tr = el("tr");
      tr.append(
        el("td", record.seq, "num"),
        el("td", timeText(record.time)),
        el("td", record.task_id, "id"),
        el("td", record.state),
        el("td", record.attempt, "num"),
        el("td", record.outcome, "outcome " + record.outcome),
        el("td", record.status !== null ? record.status : record.error, "message"),
        el("td", latencyText(record.latency_ms), "num"),
        el("td", record.fault, record.fault ? "injected" : ""),
        el("td", record.url, "path"),
      );
      return tr;
    });
    sync(byId("callback-rows"), rows, 10, "No callbacks yet.");
  }

  // As mockserver/dashboard/page.py (cap_text, held_text, NO_HOLDERS).
  function capText(perToken) {
    if (perToken <= 0) return "No cap: a token may have any number of tasks in flight.";
    return "Cap: " + perToken + " task" + (perToken !== 1 ? "s" : "") + " in flight per token; a create beyond it gets 429.";
  }

  function drawConcurrency(concurrency) {
    if (!changed("concurrency", concurrency)) return;
    setText(byId("concurrency-cap"), capText(concurrency.per_token));
    // Token fingerprints (keyed hashes), never tokens: the admin API has none to give.
    const rows = concurrency.holders.map((holder) => {
      const tr = el("tr");
      tr.append(el("td", holder.fingerprint, "id"), el("td", holder.held + " of " + concurrency.per_token, "num"));
      return tr;
    });
    sync(byId("concurrency-rows"), rows, 2, "No token holds a slot.");
  }

  function drawSettings(settings) {
    if (!changed("settings", settings)) return;
    const rows = Object.entries(settings).map(([key, value]) => {
      const tr = el("tr");
      tr.append(el("td", key), el("td", settingText(value)));
      return tr;
    });
    sync(byId("settings-rows"), rows, 2, "");
  }

  // -- polling and the token -----------------------------------------------------------
  function lock() {
    const refused = Boolean(token);
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    locked = true;
    journalRows.clear();
    taskRows.clear();
    for (const key of Object.keys(lastJson)) delete lastJson[key];
    const text = "Locked: enter the admin token above.";
    sync(byId("journal-rows"), [], 11, text);
    sync(byId("task-rows"), [], 8, text);
    sync(byId("rule-rows"), [], 7, text);
    sync(byId("callback-rows"), [], 10, text);
    sync(byId("settings-rows"), [], 2, text);
    sync(byId("concurrency-rows"), [], 2, text);
    setText(byId("concurrency-cap"), "");
    setText(byId("clock"), "");
    byId("controls").hidden = true;
    byId("token-form").hidden = false;
    setText(
      byId("token-status"),
      refused ? "That admin token was refused." : "This mock needs its admin token (VIDU_MOCK_ADMIN_TOKEN).",
    );
    setText(byId("live"), "Locked");
    byId("token-input").focus();
  }

  function perWorker() {
    // The tables say why they are empty (as the page renders them); the settings stay.
    sync(byId("journal-rows"), [], 11, PER_WORKER_ROW);
    sync(byId("task-rows"), [], 8, PER_WORKER_ROW);
    sync(byId("rule-rows"), [], 7, PER_WORKER_ROW);
    sync(byId("callback-rows"), [], 10, PER_WORKER_ROW);
    sync(byId("concurrency-rows"), [], 2, PER_WORKER_ROW);
    byId("controls").hidden = true;
    setText(byId("live"), "Per-worker state: start the mock with --state redis://host:port/db to see it");
  }

  function unlock() {
    locked = false;
    byId("token-form").hidden = true;
    setText(byId("token-status"), "");
    byId("controls").hidden = false;
  }

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const [journal, tasks, failures, config, clock, callbacks, concurrency] = await Promise.all(
        ["journal", "tasks", "failures", "config", "clock", "callbacks", "concurrency"].map((path) => api("GET", path)),
      );
      unlock();
      drawJournal(journal.entries);
      drawTasks(tasks.tasks);
      drawRules(failures.rules);
      drawCallbacks(callbacks.deliveries);
      drawSettings(config);
      drawConcurrency(concurrency);
      setText(byId("clock"), clockText(clock.now));
      const now = new Date();
      setText(byId("live"), "Live \u00b7 updated " + [now.getHours(), now.getMinutes(), now.getSeconds()].map(pad).join(":"));
    } catch (error) {
      if (error instanceof Forbidden) lock();
      else if (error instanceof PerWorker) perWorker();
      else setText(byId("live"), "Offline: " + error.message);
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await refresh();
    }
  }

  function notice(text, isError) {
    const node = byId("notice");
    setText(node, text);
    node.className = isError ? "error" : "";
  }

  async function act(call, done) {
    try {
      await call();
      notice(done, false);
    } catch (error) {
      if (error instanceof Forbidden) lock();
      else notice(error.message, true);
    }
    await refresh();
  }

  function numberOf(id) {
    const value = byId(id).value.trim();
    return value === "" ? null : Number(value);
  }

  function wire() {
    byId("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId("token-input");
      token = input.value;
      input.value = "";
      sessionStorage.setItem(TOKEN_KEY, token);
      refresh();
    });
    byId("clock-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = numberOf("clock-seconds");
      act(() => api("POST", "clock", { advance: seconds }), "Clock advanced by " + seconds + " s");
    });
    byId("failure-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const rule = { times: numberOf("failure-times"), endpoint: byId("failure-endpoint").value };
      const error = byId("failure-error").value.trim();
      if (error) rule.error = error;
      const fault = byId("failure-fault").value;
      if (fault) rule.fault = fault;
      const delay = numberOf("failure-delay");
      if (delay) rule.delay_ms = delay;
      const model = byId("failure-model").value.trim();
      if (model) rule.model = model;
      const mode = byId("failure-mode").value;
      if (mode) rule.mode = mode;
      act(() => api("POST", "failures", rule), "Failure queued");
    });
    byId("reset").addEventListener("click", () =>
      act(() => api("POST", "reset"), "Reset: tasks, journal and queued failures forgotten"),
    );
  }

  wire();
  refresh();
  setInterval(() => {
    if (!locked && !document.hidden) refresh();
  }, POLL_MS);
})();
