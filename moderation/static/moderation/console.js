/* Phare moderator console. No build step, no inline script (CSP: script-src 'self').
 * Every user-written string is set with textContent, never as HTML. */
(function () {
  "use strict";
  var _ = typeof window.gettext === "function" ? window.gettext : function (s) { return s; };
  var ngettext = typeof window.ngettext === "function" ? window.ngettext
    : function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = typeof window.interpolate === "function" ? window.interpolate
    : function (text, args) { return text.replace("%s", args[0]); };
  var body = document.body;
  var API = body.dataset.api;
  var alerted = {};
  // The page's words for the codes of a case (console.py, data-words): labels, moderators' names.
  var words = body.dataset.words ? JSON.parse(body.dataset.words) : {};
  // Actions that sanction an account: they take a reason and a confirmation in the page.
  var SANCTIONS = ["mute", "suspend", "ban"];

  function word(table, code) {
    if (code === null || code === undefined || code === "") { return "–"; }
    return ((words[table] || {})[code]) || String(code);
  }

  function moderatorName(id) {
    return id ? ((words.moderators || {})[id] || "–") : "–";
  }

  /* --- Dates: one format, the page's language, the reader's time zone ------------------- */

  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
                                           { dateStyle: "short", timeStyle: "short" });

  function formatTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var moment = Date.parse(node.getAttribute("datetime"));
      if (moment) { node.textContent = dateFormat.format(new Date(moment)); }
    });
  }

  function setTime(td, iso) {
    // A table cell holding one <time>, written as the server's cells are.
    if (!td) { return; }
    td.textContent = "";
    if (!iso) { td.textContent = "–"; return; }
    var node = document.createElement("time");
    node.setAttribute("datetime", iso);
    td.appendChild(node);
    formatTimes(td);
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function call(method, path, payload) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: payload === undefined ? undefined : JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = (data && data.error) || { code: String(response.status), message: "" };
          throw error;
        }
        return data;
      });
    });
  }

  function alertBox(text) {
    var p = document.createElement("p");
    p.textContent = text;
    document.getElementById("alerts").appendChild(p);
    return p;
  }

  function showError(error) {
    alertBox(_("Refused") + ": " + (error.message || error.code || "?") + " (" + (error.code || "") + ")");
  }

  function cell(row, cls, text) {
    var td = row.querySelector("td." + cls);
    if (td) { td.textContent = text; }
  }

  /* --- Queue rows -------------------------------------------------------------------- */

  function inView(caseData, recused) {
    // Whether the server would list this case under the page's filters (the table's data-*,
    // moderation.selectors.parse_queue_query); a recused case never passes a filter on what
    // it is about or on whether someone holds it.
    var view = document.getElementById("queue");
    var status = view.dataset.status, me = body.dataset.me, masked = isRecused(caseData, recused);
    var open = caseData.status === "open" || caseData.status === "claimed";
    if (status === "open" && !open) { return false; }
    if ((status === "claimed" || status === "decided") && caseData.status !== status) { return false; }
    if (status === "mine" && !(caseData.status === "claimed" && caseData.assigned_to === me)) { return false; }
    if (view.dataset.category && (masked || caseData.category !== view.dataset.category)) { return false; }
    if (view.dataset.minPriority && caseData.priority < Number(view.dataset.minPriority)) { return false; }
    if (view.dataset.assigned === "me" && caseData.assigned_to !== me) { return false; }
    if (view.dataset.assigned === "none" && (masked || caseData.assigned_to)) { return false; }
    return true;
  }

  function rowFor(caseData, recused) {
    var table = document.querySelector("#queue tbody");
    if (!table) { return null; }
    var row = table.querySelector('tr[data-case="' + caseData.id + '"]');
    if (row) { return row; }
    // A new case is shown on the first page of a view it belongs to; later pages are read
    // through their links, in the server's order.
    if (document.getElementById("queue").dataset.firstPage !== "true" || !inView(caseData, recused)) {
      return null;
    }
    var empty = table.querySelector("tr.empty");
    if (empty) { empty.remove(); }
    row = document.createElement("tr");
    row.dataset.case = caseData.id;
    // The column headings label each cell on a phone, where the table reads as cards.
    var headings = document.querySelectorAll("#queue thead th");
    ["select", "priority", "category", "subject", "reports", "due", "status", "assigned", "links"].forEach(function (cls, i) {
      var td = document.createElement("td");
      td.className = cls;
      if (cls !== "select" && cls !== "links" && headings[i]) { td.dataset.label = headings[i].textContent; }
      row.appendChild(td);
    });
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "case"; box.value = caseData.id;
    box.setAttribute("aria-label", _("Select") + " " + caseData.id);
    row.querySelector("td.select").appendChild(box);
    var claim = document.createElement("button");
    claim.type = "button"; claim.className = "claim"; claim.dataset.case = caseData.id;
    claim.textContent = _("Claim");
    var open = document.createElement("a");
    open.href = "/moderation/cases/" + encodeURIComponent(caseData.id) + "/";
    open.textContent = _("Open");
    row.querySelector("td.links").append(claim, " ", open);
    table.appendChild(row);
    return row;
  }

  function sortQueue() {
    var table = document.querySelector("#queue tbody");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-case]"));
    rows.sort(function (a, b) {
      var pa = Number(a.querySelector("td.priority").textContent) || 0;
      var pb = Number(b.querySelector("td.priority").textContent) || 0;
      if (pa !== pb) { return pb - pa; }
      return (a.dataset.due || "~").localeCompare(b.dataset.due || "~");
    });
    rows.forEach(function (row) { table.appendChild(row); });
  }

  function isRecused(caseData, recused) {
    // A case this moderator has a conflict of interest in: the server's list sends it masked
    // (conflict_of_interest), the live events name the moderators concerned (recused).
    return caseData.conflict_of_interest === true || (recused || []).indexOf(body.dataset.me) !== -1;
  }

  function maskRow(row) {
    // No claim, no selection for bulk decisions, no link to the evidence.
    row.querySelectorAll("td").forEach(function (td) {
      if (td.querySelector("input, button, a")) { td.textContent = ""; }
    });
    ["category", "subject", "reports"].forEach(function (cls) { cell(row, cls, "–"); });
    cell(row, "assigned", _("Assigned to another moderator"));
    row.classList.add("recused");
  }

  function updateCase(caseData, recused) {
    var detail = document.getElementById("case");
    if (detail && detail.dataset.case === caseData.id) {
      var status = detail.querySelector(".status");
      if (status) { status.dataset.status = caseData.status; status.textContent = word("statuses", caseData.status); }
      var assigned = detail.querySelector(".assigned");
      if (assigned) { assigned.textContent = moderatorName(caseData.assigned_to); }
    }
    var row = rowFor(caseData, recused);
    if (!row) { return; }
    if (!inView(caseData, recused)) {
      row.remove();  // decided, claimed by someone, … : no longer in this view
      return;
    }
    row.dataset.due = caseData.sla_due_at || "";
    setTime(row.querySelector("td.due"), caseData.sla_due_at);
    row.querySelector("td.status").dataset.status = caseData.status;
    cell(row, "status", word("statuses", caseData.status));
    cell(row, "priority", String(caseData.priority));
    if (isRecused(caseData, recused)) {
      maskRow(row);
      sortQueue();
      return;
    }
    cell(row, "category", word("categories", caseData.category) + (caseData.minors_involved ? " · " + _("minors") : ""));
    var subject = caseData.subject || {};
    cell(row, "subject", word("subjects", subject.type) + " " + subject.id + (subject.user ? " · " + subject.user.pseudonym : ""));
    cell(row, "assigned", moderatorName(caseData.assigned_to));
    if (caseData.reports_count !== null && caseData.reports_count !== undefined) {
      cell(row, "reports", String(caseData.reports_count));
    }
    row.classList.add("fresh");
    setTimeout(function () { row.classList.remove("fresh"); }, 3000);
    sortQueue();
  }

  /* --- SLA ------------------------------------------------------------------------- */

  function breach(caseId) {
    var row = document.querySelector('#queue tr[data-case="' + caseId + '"]');
    if (row) { row.classList.add("breached"); }
    if (!alerted[caseId]) {
      alerted[caseId] = true;
      alertBox(_("SLA breached for case") + " " + caseId);
    }
  }

  function checkDue() {
    var now = Date.now();
    document.querySelectorAll("#queue tr[data-case]").forEach(function (row) {
      var due = Date.parse(row.dataset.due || "");
      var status = row.querySelector("td.status");
      if (due && due < now && status && status.dataset.status !== "decided") { breach(row.dataset.case); }
    });
  }

  /* --- Room lockdowns (chat.protection sends moderation.alert) ------------------------- */

  function roomAlert(data) {
    var room = data.room || {};
    var name = room.name || room.slug || "?";
    var text;
    if (data.kind === "room_lockdown") {
      text = _("Room locked down (join wave of new accounts)") + ": " + name;
      if (data.new_accounts) { text += " · " + data.new_accounts + " " + _("new accounts"); }
    } else if (data.kind === "room_shield") {
      text = _("Shield raised in room") + ": " + name;
    } else if (data.kind === "room_lockdown_lifted") {
      text = _("Lockdown lifted in room") + ": " + name;
    } else {
      return;
    }
    var p = alertBox(text);
    if (data.kind !== "room_lockdown_lifted" && body.dataset.rooms) {
      // The page listing rooms under lockdown, where each has its "Lift lockdown" button.
      var link = document.createElement("a");
      link.href = body.dataset.rooms;
      link.textContent = _("Review and lift");
      p.appendChild(link);
    }
  }

  /* --- Child-safety reports: at the top of the queue at once, and said aloud ----------- */

  function childSafetyAlert(data) {
    var caseData = data.case || {};
    if (isRecused(caseData, data.recused)) { updateCase(caseData, data.recused); return; }
    var p = alertBox(_("Child-safety report: case") + " " + caseData.id + " ");
    var link = document.createElement("a");
    link.href = "/moderation/cases/" + encodeURIComponent(caseData.id) + "/";
    link.textContent = _("Open");
    p.appendChild(link);
    updateCase(caseData, data.recused);
  }

  /* --- Live updates ------------------------------------------------------------------- */

  function connect() {
    var live = document.getElementById("live");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/");
    socket.addEventListener("open", function () { live.dataset.state = "on"; live.textContent = _("live: on"); });
    socket.addEventListener("close", function () {
      live.dataset.state = "off"; live.textContent = _("live: off");
      setTimeout(connect, 3000);
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "moderation.case") { updateCase(data.case, data.recused); }
      else if (data.type === "moderation.sla_breach") { updateCase(data.case, data.recused); breach(data.case.id); }
      else if (data.type === "moderation.alert" && data.kind === "child_safety_report") { childSafetyAlert(data); }
      else if (data.type === "moderation.appeal") { alertBox(_("New appeal on case") + " " + data.appeal.case); }
      else if (data.type === "moderation.alert") { roomAlert(data); }
    });
  }

  /* --- Actions ------------------------------------------------------------------------ */

  function decide(caseId, payload) {
    return call("POST", API + "/cases/" + encodeURIComponent(caseId) + "/decide", payload).then(function (data) {
      updateCase(data.case);
      var out = document.getElementById("decide-result");
      if (out) { out.textContent = _("Decided") + ": " + word("actions", payload.action); }
    });
  }

  function durationText(seconds) {
    if (seconds % 86400 === 0) { return interpolate(ngettext("%s day", "%s days", seconds / 86400), [seconds / 86400]); }
    if (seconds % 3600 === 0) { return interpolate(ngettext("%s hour", "%s hours", seconds / 3600), [seconds / 3600]); }
    return interpolate(ngettext("%s minute", "%s minutes", Math.round(seconds / 60)), [Math.round(seconds / 60)]);
  }

  /* --- Sanctions: a reason and a confirmation in the page, never one click --------------- */

  var confirmForm = document.getElementById("confirm-sanction");
  var pendingSanction = null;  // function (reason_code, note) -> Promise, once confirmed

  function askSanction(payload, what, send) {
    // `payload` as it would be sent; `what` names the target ("case 12", "3 cases").
    var summary = word("actions", payload.action);
    if (payload.duration_seconds) { summary += " · " + durationText(payload.duration_seconds); }
    document.getElementById("confirm-sanction-summary").textContent = summary + " — " + what;
    var reason = confirmForm.elements.reason_code;
    if (payload.reason_code && reason.querySelector('option[value="' + payload.reason_code + '"]')) {
      reason.value = payload.reason_code;
    }
    confirmForm.elements.note.value = payload.note || "";
    document.getElementById("confirm-sanction-error").textContent = "";
    pendingSanction = send;
    confirmForm.hidden = false;
    confirmForm.scrollIntoView({ block: "nearest" });
    confirmForm.elements.note.focus();
  }

  function closeSanction() {
    pendingSanction = null;
    confirmForm.hidden = true;
  }

  function decideHere(payload) {
    // The case page's decisions: a sanction waits for its confirmation.
    var caseId = document.getElementById("case").dataset.case;
    if (SANCTIONS.indexOf(payload.action) === -1) { return decide(caseId, payload).catch(showError); }
    askSanction(payload, _("case") + " " + caseId, function (reason, note) {
      return decide(caseId, Object.assign({}, payload, { reason_code: reason, note: note }));
    });
  }

  if (confirmForm) {
    confirmForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var note = confirmForm.elements.note.value.trim();
      var error = document.getElementById("confirm-sanction-error");
      if (!note) {
        error.textContent = _("Say why before confirming: the reason is kept with the decision.");
        confirmForm.elements.note.focus();
        return;
      }
      if (!pendingSanction) { closeSanction(); return; }
      pendingSanction(confirmForm.elements.reason_code.value, note).then(closeSanction, function (err) {
        error.textContent = _("Refused") + ": " + (err.message || err.code || "?");
      });
    });
    confirmForm.querySelector(".cancel-sanction").addEventListener("click", closeSanction);
    confirmForm.addEventListener("keydown", function (event) { if (event.key === "Escape") { closeSanction(); } });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) { return; }
    if (target.classList.contains("claim")) {
      call("POST", API + "/cases/" + encodeURIComponent(target.dataset.case) + "/claim")
        .then(function (data) { updateCase(data.case); }, showError);
    } else if (target.classList.contains("release")) {
      call("POST", API + "/cases/" + encodeURIComponent(target.dataset.case) + "/release")
        .then(function (data) { updateCase(data.case); }, showError);
    } else if (target.classList.contains("quick-decide")) {
      var payload = { action: target.dataset.action, reason_code: target.dataset.reason };
      if (target.dataset.duration) { payload.duration_seconds = Number(target.dataset.duration); }
      // A proposed step of the escalation ladder says why in the note it suggests.
      if (target.dataset.note) { payload.note = target.dataset.note; }
      decideHere(payload);
    } else if (target.classList.contains("appeal")) {
      call("POST", API + "/appeals/" + encodeURIComponent(target.dataset.appeal) + "/decide",
           { outcome: target.dataset.outcome })
        .then(function () { var li = target.closest("li"); if (li) { li.remove(); } }, showError);
    } else if (target.classList.contains("reveal")) {
      var img = target.parentElement.querySelector("img");
      if (img) { img.classList.toggle("blurred"); }
    } else if (target.id === "select-all") {
      document.querySelectorAll('#queue input[name="case"]').forEach(function (box) { box.checked = target.checked; });
    }
  });

  var decideForm = document.getElementById("decide");
  if (decideForm) {
    decideForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var form = new FormData(decideForm);
      var payload = { action: form.get("action"), reason_code: form.get("reason_code"), note: form.get("note") || "" };
      if (form.get("duration_seconds")) { payload.duration_seconds = Number(form.get("duration_seconds")); }
      decideHere(payload);
    });
  }

  var bulkForm = document.getElementById("bulk");
  if (bulkForm) {
    bulkForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var form = new FormData(bulkForm);
      var ids = Array.prototype.map.call(document.querySelectorAll('#queue input[name="case"]:checked'),
                                         function (box) { return box.value; });
      if (!ids.length) { return; }
      var payload = { cases: ids, action: form.get("action"), reason_code: form.get("reason_code"), note: form.get("note") || "" };
      var send = function (reason, note) {
        return call("POST", API + "/cases/bulk", Object.assign({}, payload, { reason_code: reason, note: note }))
          .then(function (result) {
            document.getElementById("bulk-result").textContent =
              _("Decided") + ": " + result.decided.length + " · " + _("Failed") + ": " + Object.keys(result.failed).length;
            result.decided.forEach(function (id) {
              var row = document.querySelector('#queue tr[data-case="' + id + '"]');
              if (row) { row.remove(); }
            });
          });
      };
      if (SANCTIONS.indexOf(payload.action) === -1) { send(payload.reason_code, payload.note).catch(showError); return; }
      askSanction(payload, interpolate(ngettext("%s case", "%s cases", ids.length), [ids.length]), send);
    });
  }

  formatTimes(document);
  if (body.dataset.page === "queue" || body.dataset.page === "case" || body.dataset.page === "rooms") {
    connect();
    checkDue();
    setInterval(checkDue, 30000);
  }
}());
