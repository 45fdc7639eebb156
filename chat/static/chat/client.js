/* Phare browser client. Everything people wrote is rendered with textContent, never as HTML. */
"use strict";

(function () {
  const t = (s) => (window.gettext ? window.gettext(s) : s);
  const fmt = (s, obj) => (window.interpolate ? window.interpolate(t(s), obj, true) : s);
  const $ = (id) => document.getElementById(id);

  const state = {
    user: null,
    socket: null,
    nextId: 1,
    pending: new Map(),
    rooms: [],
    conversations: [],
    current: null, // {kind: "room", slug} | {kind: "dm", id}
    joined: new Set(),
    reconnectDelay: 500,
  };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, path, body) {
    const response = await fetch("/api/v1/" + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return {};
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: { code: "server_error", message: t("Something went wrong. Please try again.") } }; }
    if (!response.ok) throw data.error || { code: "server_error", message: t("Something went wrong. Please try again.") };
    return data;
  }

  function showStatus(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
    el.hidden = !text;
  }

  function showError(error) {
    let text = (error && error.message) || t("Something went wrong. Please try again.");
    if (error && error.retry_after) text += " " + fmt("Try again in %s s.", [error.retry_after]);
    showStatus(text, true);
  }

  // --- WebSocket ---------------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/");
    state.socket = socket;
    socket.addEventListener("open", async () => {
      state.reconnectDelay = 500;
      showStatus("");
      state.joined.clear();
      await refreshConversations();
      if (state.current && state.current.kind === "room") openRoom(state.current.slug);
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "ack" || (frame.type === "error" && frame.id)) {
        const waiter = state.pending.get(frame.id);
        if (waiter) {
          state.pending.delete(frame.id);
          if (frame.type === "ack") waiter.resolve(frame); else waiter.reject(frame.error);
        }
        return;
      }
      if (frame.type === "error") { showError(frame.error); return; }
      onEvent(frame);
    });
    socket.addEventListener("close", (event) => {
      for (const waiter of state.pending.values()) waiter.reject({ code: "disconnected", message: t("Connection lost. Reconnecting…") });
      state.pending.clear();
      if (event.code === 4001) { showAuth(); return; }
      if (event.code === 4003) { showStatus(t("Your account is suspended."), true); return; }
      showStatus(t("Connection lost. Reconnecting…"), true);
      setTimeout(connect, state.reconnectDelay);
      state.reconnectDelay = Math.min(state.reconnectDelay * 2, 10000);
    });
  }

  function request(type, fields) {
    return new Promise((resolve, reject) => {
      if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
        reject({ code: "disconnected", message: t("Connection lost. Reconnecting…") });
        return;
      }
      const id = "c" + state.nextId++;
      state.pending.set(id, { resolve, reject });
      state.socket.send(JSON.stringify(Object.assign({ type, id }, fields || {})));
    });
  }

  // --- Rendering ---------------------------------------------------------------------------
  function timeText(iso) {
    try { return new Date(iso).toLocaleTimeString(document.body.dataset.lang || undefined, { hour: "2-digit", minute: "2-digit" }); }
    catch (e) { return ""; }
  }

  function messageItem(message, options) {
    const li = document.createElement("li");
    li.dataset.id = message.id;
    const author = document.createElement("button");
    author.type = "button";
    author.className = "author";
    author.textContent = message.author.pseudonym;
    if (state.user && message.author.id === state.user.id) {
      author.classList.add("me");
      author.disabled = true;
    } else {
      author.title = t("Send a private message");
      author.addEventListener("click", () => openDmDialog(message.author));
    }
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = message.body;
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = message.created_at;
    time.textContent = timeText(message.created_at);
    li.append(author, body, time);
    if (options && options.held) {
      const note = document.createElement("span");
      note.className = "held";
      note.textContent = " " + t("(held for review: only you can see it for now)");
      li.append(note);
    }
    return li;
  }

  function appendMessage(message, options) {
    const list = $("messages");
    if (list.querySelector('[data-id="' + CSS.escape(message.id) + '"]')) return;
    list.append(messageItem(message, options));
    list.scrollTop = list.scrollHeight;
  }

  function renderMessages(messages) {
    const list = $("messages");
    list.replaceChildren(...messages.map((m) => messageItem(m)));
    list.scrollTop = list.scrollHeight;
  }

  function listButton(label, current, onClick) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    if (current) button.setAttribute("aria-current", "true");
    button.addEventListener("click", onClick);
    li.append(button);
    return li;
  }

  function renderSidebar() {
    const cur = state.current || {};
    $("room-list").replaceChildren(...state.rooms.map((room) =>
      listButton(room.name, cur.kind === "room" && cur.slug === room.slug, () => openRoom(room.slug))));
    const requests = state.conversations.filter((c) => c.state === "requested");
    const accepted = state.conversations.filter((c) => c.state === "accepted");
    $("request-list").replaceChildren(...requests.map((c) =>
      listButton(c.initiated_by_me ? fmt("To %s (pending)", [c.with.pseudonym]) : fmt("From %s", [c.with.pseudonym]),
        cur.kind === "dm" && cur.id === c.id, () => openConversation(c.id))));
    $("dm-list").replaceChildren(...accepted.map((c) =>
      listButton(c.with.pseudonym, cur.kind === "dm" && cur.id === c.id, () => openConversation(c.id))));
  }

  // --- Screens -----------------------------------------------------------------------------
  function showAuth() {
    state.user = null;
    $("auth").hidden = false;
    $("app").hidden = true;
    $("logout").hidden = true;
    $("whoami").textContent = "";
  }

  async function showApp(user) {
    state.user = user;
    $("auth").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("whoami").textContent = fmt("Signed in as %s", [user.pseudonym]);
    try {
      state.rooms = (await api("GET", "rooms")).rooms;
    } catch (error) { showError(error); }
    renderSidebar();
    if (!state.socket || state.socket.readyState > WebSocket.OPEN) connect();
  }

  async function openRoom(slug) {
    state.current = { kind: "room", slug };
    const room = state.rooms.find((r) => r.slug === slug);
    $("pane-title").textContent = room ? room.name : slug;
    $("request-panel").hidden = true;
    $("composer").hidden = false;
    $("composer-input").maxLength = room ? room.max_message_length : 1000;
    renderSidebar();
    try {
      const ack = await request("room.join", { room: slug });
      state.joined.add(slug);
      if (state.current.kind === "room" && state.current.slug === slug) renderMessages(ack.history);
    } catch (error) { showError(error); }
  }

  async function openConversation(id) {
    state.current = { kind: "dm", id };
    const conversation = state.conversations.find((c) => c.id === id);
    if (!conversation) return;
    $("pane-title").textContent = conversation.with.pseudonym;
    const incoming = conversation.state === "requested" && !conversation.initiated_by_me;
    $("request-panel").hidden = !incoming;
    if (incoming) $("request-text").textContent = fmt("%s wants to talk with you. Nothing more reaches you unless you accept.", [conversation.with.pseudonym]);
    $("composer").hidden = conversation.state !== "accepted";
    renderSidebar();
    try {
      const ack = await request("dm.history", { conversation: id });
      if (state.current.kind === "dm" && state.current.id === id) renderMessages(ack.messages);
      if (conversation.state === "requested" && conversation.initiated_by_me) showStatus(t("Your request is waiting for an answer."));
    } catch (error) { showError(error); }
  }

  async function refreshConversations() {
    try {
      state.conversations = (await request("dm.list")).conversations;
      renderSidebar();
    } catch (error) { showError(error); }
  }

  function openDmDialog(author) {
    $("dm-dialog-title").textContent = fmt("Private message to %s", [author.pseudonym]);
    $("dm-body").value = "";
    $("dm-dialog").dataset.to = author.id;
    $("dm-dialog").showModal();
  }

  function onEvent(event) {
    const cur = state.current || {};
    switch (event.type) {
      case "room.message":
        if (cur.kind === "room" && cur.slug === event.room) appendMessage(event.message);
        break;
      case "dm.message":
        if (cur.kind === "dm" && cur.id === event.conversation) appendMessage(event.message);
        break;
      case "dm.request":
        showStatus(fmt("%s sent you a message request.", [event.from.pseudonym]));
        refreshConversations();
        break;
      case "dm.accepted":
      case "dm.declined":
        refreshConversations().then(() => { if (cur.kind === "dm" && cur.id === event.conversation.id) openConversation(cur.id); });
        if (event.type === "dm.declined" && event.conversation.initiated_by_me) showStatus(fmt("%s did not accept your request.", [event.conversation.with.pseudonym]));
        break;
      case "message.removed": {
        const li = $("messages").querySelector('[data-id="' + CSS.escape(String(event.message_id)) + '"]');
        if (li) li.remove();
        break;
      }
      case "notice":
        showStatus(event.text || t("You have a new notice about a moderation decision."), true);
        break;
      default:
        break;
    }
  }

  // --- Wiring ------------------------------------------------------------------------------
  function formData(form) {
    return Object.fromEntries(new FormData(form).entries());
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("signup-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try { showStatus(""); await showApp((await api("POST", "accounts/signup", formData(e.target))).user); }
      catch (error) { showError(error); }
    });
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try { showStatus(""); await showApp((await api("POST", "accounts/login", formData(e.target))).user); }
      catch (error) { showError(error); }
    });
    $("logout").addEventListener("click", async () => {
      try { await api("POST", "accounts/logout"); } catch (error) { /* signed out either way */ }
      if (state.socket) { state.socket.onclose = null; state.socket.close(); }
      location.reload();
    });
    $("composer").addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = $("composer-input");
      const body = input.value;
      if (!body.trim() || !state.current) return;
      try {
        let ack;
        if (state.current.kind === "room") ack = await request("room.send", { room: state.current.slug, body });
        else ack = await request("dm.send", { conversation: state.current.id, body });
        input.value = "";
        showStatus("");
        if (ack.message.status === "held") appendMessage(ack.message, { held: true });
      } catch (error) { showError(error); }
    });
    $("composer-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
    });
    for (const [id, type] of [["request-accept", "dm.accept"], ["request-decline", "dm.decline"], ["request-block", "dm.block"]]) {
      $(id).addEventListener("click", async () => {
        if (!state.current || state.current.kind !== "dm") return;
        try {
          await request(type, { conversation: state.current.id });
          await refreshConversations();
          if (type === "dm.accept") openConversation(state.current.id);
          else { state.current = null; $("messages").replaceChildren(); $("request-panel").hidden = true; $("pane-title").textContent = t("Choose a room"); renderSidebar(); }
        } catch (error) { showError(error); }
      });
    }
    $("dm-cancel").addEventListener("click", () => $("dm-dialog").close());
    $("dm-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const dialog = $("dm-dialog");
      try {
        await request("dm.open", { to: dialog.dataset.to, body: $("dm-body").value });
        dialog.close();
        showStatus(t("Request sent. Nothing more is delivered until they accept."));
        refreshConversations();
      } catch (error) { showError(error); }
    });

    try {
      const session = await api("GET", "session");
      if (session.authenticated) await showApp(session.user); else showAuth();
    } catch (error) { showAuth(); showError(error); }
  });
})();
