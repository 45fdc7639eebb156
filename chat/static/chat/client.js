/* Phare browser client. Everything people wrote is rendered with textContent, never as HTML.
 * Strings are gettext() calls on string literals so that `make messages` finds them. */
"use strict";

(function () {
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const interpolate = window.interpolate || ((s, args) => s.replace(/%s/g, () => String(args.shift())));
  const fmt = (translated, args) => interpolate(translated, args.slice(), false);
  const $ = (id) => document.getElementById(id);

  const state = {
    user: null,
    socket: null,
    nextId: 1,
    pending: new Map(),
    rooms: [],
    conversations: [],
    trusted: [], // trusted connections across age bands, pending and active
    notices: [],
    current: null, // {kind: "room", slug} | {kind: "dm", id} | {kind: "notice", id}
    reconnectDelay: 500,
    joined: new Set(),
    joining: new Set(),
    focusAfterJoin: null,
    safetyPrompts: {}, // conversation id -> the server's first-contact prompt (minors)
    firstContacts: {}, // room message id -> the first-contact notice that announces it (minors)
    replyTo: null, // the room message the next one answers
    contactWarned: false, // a contact warning was shown: ask before sharing again
    waits: {}, // room slug -> no sending there before this time (ms): slow mode is per room
    waitTimer: null,
    reportTarget: null,
    uploads: new Map(), // upload id -> {key: "room:slug" | "dm:id"}: images being checked
    sendingTo: null, // the key of the room or conversation an image is being posted to
  };

  // --- Human texts for the protocol's codes ------------------------------------------------
  // The client says these itself (in the page's language) rather than showing the server's
  // text, so that a refusal always reads the same and never shows anything technical.
  const ERROR_TEXT = {
    bad_request: gettext("That did not work: please check what you typed."),
    not_authenticated: gettext("Please log in first."),
    forbidden: gettext("You are not allowed to do that."),
    not_found: gettext("Not found. It may not exist, or it is not open to you."),
    rate_limited: gettext("You are going too fast."),
    age_below_minimum: gettext("You must be at least 13 years old to use Phare."),
    assurance_required: gettext("This room needs a stronger age check than the one on your account."),
    contact_not_allowed: gettext("You cannot contact this person."),
    dm_request_pending: gettext("Your request is waiting for an answer."),
    blocked_by_policy: gettext("This message was not sent because it breaks the rules."),
    muted: gettext("You are muted for now: you can read but not write."),
    suspended: gettext("Your account is suspended."),
    room_locked: gettext("This room is locked by the moderators for now."),
    not_member: gettext("Join the room first."),
    too_large: gettext("This message is too long."),
    pseudonym_taken: gettext("This pseudonym is already taken. Try another one."),
    pseudonym_not_allowed: gettext("This pseudonym is not allowed. Choose a neutral pseudonym, not your real name."),
    media_not_allowed: gettext("Images are not allowed here."),
    unsupported_media: gettext("This file is not an image Phare accepts: choose a JPEG, PNG, WebP or GIF image."),
    invalid_credentials: gettext("Wrong pseudonym or password."),
    invalid_password: gettext("This password is too weak: use at least 8 characters, not only digits, not a common password."),
    conflict: gettext("This was already done."),
    disconnected: gettext("Connection lost. Reconnecting…"),
    server_error: gettext("Something went wrong. Please try again."),
  };

  // Why the safety gate refused a message (moderation/policy/reasons.py codes).
  const REASON_TEXT = {
    contact_phone: gettext("Phone numbers cannot be shared here."),
    contact_email: gettext("Email addresses cannot be shared here."),
    contact_url: gettext("Links are not allowed here."),
    contact_handle: gettext("Usernames on other apps and \"add me on …\" are not allowed here."),
    offplatform_request: gettext("Asking to continue on another app or on a video call is not allowed here."),
    meeting_arrangement: gettext("Arranging to meet in person or giving an address is not allowed here."),
    photo_request: gettext("Asking for photos is not allowed here."),
    gift_offer: gettext("Offering money or gifts is not allowed here."),
    secrecy_request: gettext("Asking someone to keep a secret is not allowed here."),
    sexual_content: gettext("Sexual content is not allowed here."),
    sexual_content_minor: gettext("This message was blocked and sent to the moderation team: sexual content involving minors is forbidden."),
    hate_speech: gettext("Hateful speech against a group of people is not allowed."),
    harassment: gettext("Insults and harassment are not allowed."),
    self_harm_support: gettext("If you are going through a hard time, you are not alone: contact a local helpline (in France, 3114, free, 24/7). A moderator can also point you to help."),
    profanity: gettext("Your message contains profanity."),
    term_match: gettext("Your message contains a term filtered by this space's rules."),
    name_not_allowed: gettext("This name is not allowed: no sexualised names, no names suggesting an age or a minor, no contact details."),
  };

  const FIELD_TEXT = {
    pseudonym: gettext("Pseudonym"),
    password: gettext("Password"),
    birthdate: gettext("Birthdate"),
    body: gettext("Message"),
  };

  function secondsText(seconds) {
    return fmt(ngettext("%s second", "%s seconds", seconds), [seconds]);
  }

  function durationText(seconds) {
    if (seconds >= 5400) { const h = Math.round(seconds / 3600); return fmt(ngettext("%s hour", "%s hours", h), [h]); }
    if (seconds >= 90) { const m = Math.round(seconds / 60); return fmt(ngettext("%s minute", "%s minutes", m), [m]); }
    return secondsText(Math.max(1, Math.ceil(seconds)));
  }

  function errorText(error) {
    const code = (error && error.code) || "server_error";
    if (error && error.reason === "new_account") {
      const kind = code === "blocked_by_policy" ? gettext("New accounts cannot send links yet.") : gettext("New accounts cannot send private message requests yet.");
      return error.wait_seconds ? kind + " " + fmt(gettext("You can in %s."), [durationText(error.wait_seconds)]) : kind;
    }
    if (code === "room_locked" && error.reason === "established_only") return gettext("Only established accounts may post in this room for now.");
    if (code === "assurance_required" && error.reason === "trusted_connection") return gettext("A trusted connection needs a stronger age check on your account.");
    if (code === "assurance_required" && error.reason === "trusted_connection_other") return gettext("This person's age check is not strong enough for a trusted connection yet.");
    if (code === "conflict" && error.reason === "pending") return gettext("A trusted connection with this person is already waiting for an answer.");
    if (code === "conflict" && error.reason === "active") return gettext("You already have a trusted connection with this person.");
    if (code === "blocked_by_policy" && Array.isArray(error.reasons)) {
      const known = error.reasons.find((r) => REASON_TEXT[r]);
      if (known) return REASON_TEXT[known];
    }
    if (code === "rate_limited" && error.retry_after) {
      const wait = secondsText(Math.ceil(error.retry_after));
      if (error.reason === "slow_mode") return fmt(gettext("This room is in slow mode: you can send your next message in %s."), [wait]);
      return fmt(gettext("You are going too fast: please wait %s."), [durationText(error.retry_after)]);
    }
    if (code === "muted" && error.retry_after) {
      return fmt(gettext("You are muted for now: you can write again in %s."), [durationText(error.retry_after)]);
    }
    let text = ERROR_TEXT[code] || ERROR_TEXT.server_error;
    if (code === "bad_request" && error.field && FIELD_TEXT[error.field]) {
      text = fmt(gettext("Please check this field: %s."), [FIELD_TEXT[error.field]]);
    }
    return text;
  }

  // --- Status banner -----------------------------------------------------------------------
  // The banner says one thing at a time, and goes when its cause does: `cause` names what it
  // is about ("connection", "notice", "request", "suspended"), and clearStatus(cause) takes it
  // down when that is over. A confirmation with no lasting cause fades after a few seconds.
  const CONFIRMATION_MS = 8000;
  let statusTimer = null;

  function showStatus(text, kind, cause) {
    const el = $("status");
    clearTimeout(statusTimer);
    $("status-text").textContent = text || "";
    el.classList.toggle("error", kind === "error");
    el.classList.toggle("ok", kind === "ok");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.dataset.cause = (text && cause) || "";
    el.hidden = !text;
    if (text && !cause && kind === "ok") statusTimer = setTimeout(() => clearStatus(""), CONFIRMATION_MS);
  }

  function clearStatus(cause) {
    if (($("status").dataset.cause || "") === cause) showStatus("");
  }

  function showError(error) { showStatus(errorText(error), "error"); }

  // A button drawn as a link ("<kind> link"), with a visible label and a fuller accessible name.
  function linkButton(kind, label, accessibleName, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = kind + " link";
    button.textContent = label;
    button.setAttribute("aria-label", accessibleName);
    button.addEventListener("click", onClick);
    return button;
  }

  // --- HTTP --------------------------------------------------------------------------------
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, path, body) {
    let response;
    // A FormData body (an image) goes as multipart: the browser writes its Content-Type with
    // the boundary, so we must not set one ourselves.
    const multipart = body instanceof FormData;
    const headers = { "X-CSRFToken": csrfToken() };
    if (!multipart) headers["Content-Type"] = "application/json";
    try {
      response = await fetch("/api/v1/" + path, {
        method,
        credentials: "same-origin",
        headers,
        body: body === undefined || multipart ? body : JSON.stringify(body),
      });
    } catch (e) {
      throw { code: "disconnected" };
    }
    if (response.status === 204) return {};
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok || !data) {
      const error = (data && data.error) || { code: response.status === 404 ? "not_found" : "server_error" };
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // --- WebSocket ---------------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/");
    state.socket = socket;
    socket.addEventListener("open", async () => {
      state.reconnectDelay = 500;
      document.body.dataset.connected = "true";
      clearStatus("connection");
      state.joined = new Set(); // memberships of this socket
      await refreshConversations();
      refreshTrusted();
      const cur = state.current;
      // Re-join after a reconnection, or a room clicked before the socket was open.
      if (cur && cur.kind === "room" && !state.joined.has(cur.slug) && !state.joining.has(cur.slug)) openRoom(cur.slug, { keepFocus: true });
      else if (cur && cur.kind === "dm") openConversation(cur.id, { keepFocus: true });
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "ack" || (frame.type === "error" && frame.id)) {
        const waiter = state.pending.get(frame.id);
        if (waiter) {
          state.pending.delete(frame.id);
          if (frame.type === "ack") waiter.resolve(frame); else waiter.reject(frame.error || {});
        }
        return;
      }
      if (frame.type === "error") { showError(frame.error); return; }
      onEvent(frame);
    });
    socket.addEventListener("close", (event) => {
      document.body.dataset.connected = "false";
      for (const waiter of state.pending.values()) waiter.reject({ code: "disconnected" });
      state.pending.clear();
      if (state.socket !== socket) return;
      if (event.code === 4001) { showAuth(); return; }
      // Suspended or banned: the decision's notice (sent as the socket closed) is read over
      // HTTP, which still serves notices and appeals to the account.
      if (event.code === 4003) { showStatus(ERROR_TEXT.suspended, "error", "suspended"); loadNotices(); return; }
      if (event.code === 4008) {
        showStatus(gettext("Too many messages too fast: the connection was paused. Reconnecting in a moment…"), "error", "connection");
        state.reconnectDelay = Math.max(state.reconnectDelay, 5000);
      } else showStatus(ERROR_TEXT.disconnected, "error", "connection");
      setTimeout(connect, state.reconnectDelay);
      state.reconnectDelay = Math.min(state.reconnectDelay * 2, 10000);
    });
  }

  function request(type, fields) {
    return new Promise((resolve, reject) => {
      if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
        reject({ code: "disconnected" });
        return;
      }
      const id = "c" + state.nextId++;
      state.pending.set(id, { resolve, reject });
      state.socket.send(JSON.stringify(Object.assign({ type, id }, fields || {})));
    });
  }

  // --- Rendering ---------------------------------------------------------------------------
  function timeText(iso) {
    try { return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" }); }
    catch (e) { return ""; }
  }

  function dateText(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" }); }
    catch (e) { return ""; }
  }

  function isMine(message) {
    return Boolean(state.user && message.author && String(message.author.id) === String(state.user.id));
  }

  function messageItem(message, options) {
    const li = document.createElement("li");
    li.dataset.id = String(message.id);
    if (message.author) li.dataset.author = String(message.author.id);
    li.className = "message";
    const head = document.createElement("div");
    head.className = "message-head";
    const mine = isMine(message);
    let author;
    if (mine || (state.current && state.current.kind === "dm")) {
      author = document.createElement("span");
      if (mine) author.classList.add("me");
    } else {
      author = document.createElement("button");
      author.type = "button";
      author.title = gettext("Send a private message");
      author.setAttribute("aria-label", fmt(gettext("Send a private message to %s"), [message.author.pseudonym]));
      author.addEventListener("click", () => openDmDialog(message.author));
    }
    author.classList.add("author");
    author.textContent = message.author.pseudonym;
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = message.created_at;
    time.textContent = timeText(message.created_at);
    head.append(author, time);
    if (!mine) {
      // Report, mute and block: one menu per message instead of a row of buttons.
      const actions = linkButton("actions", "⋯", fmt(gettext("Actions for the message from %s"), [message.author.pseudonym]),
                                 () => toggleMessageMenu(li, actions, message));
      actions.setAttribute("aria-haspopup", "menu");
      actions.setAttribute("aria-expanded", "false");
      head.append(actions);
    }
    li.append(head);
    if (message.reply_to) {
      const answered = $("messages").querySelector('[data-id="' + CSS.escape(String(message.reply_to)) + '"] .author');
      const quote = document.createElement("p");
      quote.className = "hint reply-to";
      quote.textContent = answered ? fmt(gettext("In reply to %s"), [answered.textContent]) : gettext("In reply to a message");
      li.append(quote);
    }
    const notice = state.firstContacts[String(message.id)];
    let body = null;
    if (message.body) {
      body = document.createElement("p");
      body.className = "body";
      body.textContent = message.body;
    }
    if (notice) {
      // Who writes comes first; the text waits behind a button (docs/protocol.md).
      li.append(firstContactCard(notice, () => blockAndReport(message), body));
    } else if (body) {
      li.append(body);
    }
    if (message.image && message.image.url) li.append(imageFigure(message));
    if ((options && options.held) || message.status === "held") {
      li.classList.add("held");
      const note = document.createElement("p");
      note.className = "held-note";
      note.textContent = gettext("Held for review: only you can see it for now. A moderator will check it.");
      li.append(note);
    }
    return li;
  }

  function closeMessageMenu(focusOpener) {
    const open = document.querySelector(".message-menu");
    if (!open) return;
    const opener = open.closest(".message").querySelector("button.actions");
    open.remove();
    opener.setAttribute("aria-expanded", "false");
    if (focusOpener) opener.focus();
  }

  function toggleMessageMenu(li, opener, message) {
    const wasOpen = opener.getAttribute("aria-expanded") === "true";
    closeMessageMenu(false);
    if (wasOpen) return;
    const who = [message.author.pseudonym];
    const menu = document.createElement("div");
    menu.className = "message-menu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", opener.getAttribute("aria-label"));
    const item = (label, run, name) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.setAttribute("role", "menuitem");
      button.textContent = label;
      if (name) button.setAttribute("aria-label", name);
      button.addEventListener("click", () => { closeMessageMenu(false); run(); });
      return button;
    };
    // Report first: it has the focus when the menu opens.
    menu.append(item(gettext("Report"), () => openReportDialog(message, opener), fmt(gettext("Report the message from %s"), who)));
    if (state.current && state.current.kind === "room") {
      menu.append(item(gettext("Reply"), () => startReply(message), fmt(gettext("Reply to %s"), who)));
    }
    menu.append(
      // Their messages disappear for you only; they are not told.
      item(fmt(gettext("Mute %s"), who), () => muteAuthor(message.author)),
      // They can no longer write to you either, and are not told.
      item(fmt(gettext("Block %s"), who), () => blockAuthor(message.author)),
      // Across age groups, the only way to talk in private: they accept or decline.
      item(gettext("Propose a trusted connection"), () => proposeTrusted(message.author),
        fmt(gettext("Propose a trusted connection to %s"), who)),
    );
    menu.addEventListener("keydown", (e) => {
      const items = [...menu.querySelectorAll('[role="menuitem"]')];
      const at = items.indexOf(document.activeElement);
      if (e.key === "Escape") { e.preventDefault(); closeMessageMenu(true); }
      else if (e.key === "ArrowDown") { e.preventDefault(); items[(at + 1) % items.length].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); items[(at - 1 + items.length) % items.length].focus(); }
    });
    li.querySelector(".message-head").after(menu);
    opener.setAttribute("aria-expanded", "true");
    menu.scrollIntoView({ block: "nearest" });
    menu.querySelector("button").focus();
  }

  // Every image is shown blurred until the person chooses to see that one (docs/images.md).
  function imageFigure(message) {
    const figure = document.createElement("figure");
    figure.className = "image blurred";
    const img = document.createElement("img");
    img.src = message.image.url;
    img.alt = fmt(gettext("Image shared by %s"), [message.author.pseudonym]);
    if (message.image.width && message.image.height) { img.width = message.image.width; img.height = message.image.height; }
    img.loading = "lazy";
    const reveal = document.createElement("button");
    reveal.type = "button";
    reveal.className = "secondary reveal";
    reveal.textContent = gettext("Show image");
    reveal.setAttribute("aria-pressed", "false");
    reveal.addEventListener("click", () => {
      const hidden = figure.classList.toggle("blurred");
      reveal.textContent = hidden ? gettext("Show image") : gettext("Blur image");
      reveal.setAttribute("aria-pressed", hidden ? "false" : "true");
    });
    figure.append(img, reveal);
    return figure;
  }

  function scrollToEnd() {
    const list = $("messages");
    list.scrollTop = list.scrollHeight;
  }

  function appendMessage(message, options) {
    const list = $("messages");
    if (list.querySelector('[data-id="' + CSS.escape(String(message.id)) + '"]')) return;
    list.append(messageItem(message, options));
    scrollToEnd();
  }

  // A message put back by a moderator (an appeal upheld) takes the place of its tombstone.
  function showMessage(message, restored) {
    const old = $("messages").querySelector('[data-id="' + CSS.escape(String(message.id)) + '"]');
    if (old && restored) { old.replaceWith(messageItem(message)); return; }
    appendMessage(message);
  }

  function renderMessages(messages) {
    const list = $("messages");
    list.replaceChildren(...messages.map((m) => messageItem(m)));
    list.dataset.empty = messages.length ? "false" : "true";
    scrollToEnd();
  }

  function listButton(key, label, current, onClick, extra) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.key = key;
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    button.append(name);
    if (extra) {
      const small = document.createElement("span");
      small.className = "sub";
      small.textContent = extra;
      button.append(small);
    }
    if (current) button.setAttribute("aria-current", "page");
    button.addEventListener("click", onClick);
    li.append(button);
    return li;
  }

  // Digits in a row, an @, or a link: what the server's contact warning is about.
  const CONTACT_LIKE = /(\d[\s.-]?){6,}|@|https?:|www\./i;

  const ASSURANCE_RANK = { declared: 0, estimated: 1, verified: 2 };

  function roomNeedsCheck(room) {
    return state.user && (ASSURANCE_RANK[room.min_assurance] || 0) > (ASSURANCE_RANK[state.user.assurance] || 0);
  }

  function roomExtra(room) {
    const bits = [];
    if (room.locked) bits.push(gettext("locked"));
    if (roomNeedsCheck(room)) bits.push(gettext("age check needed"));
    if (room.slow_mode_seconds > 0) bits.push(fmt(gettext("slow mode: one message every %s"), [secondsText(room.slow_mode_seconds)]));
    return bits.join(" · ");
  }

  function renderSidebar() {
    const cur = state.current || {};
    // The lists are rebuilt whenever something changes; a keyboard user keeps their place.
    const focusedKey = document.activeElement && document.activeElement.closest(".sidebar") ? document.activeElement.dataset.key : null;
    $("room-list").replaceChildren(...state.rooms.map((room) =>
      listButton("room:" + room.slug, room.name, cur.kind === "room" && cur.slug === room.slug, () => openRoom(room.slug), roomExtra(room))));
    const requests = state.conversations.filter((c) => c.state === "requested");
    const accepted = state.conversations.filter((c) => c.state === "accepted");
    $("request-list").replaceChildren(...requests.map((c) =>
      listButton("dm:" + c.id, c.initiated_by_me ? fmt(gettext("To %s"), [c.with.pseudonym]) : fmt(gettext("From %s"), [c.with.pseudonym]),
        cur.kind === "dm" && cur.id === c.id, () => openConversation(c.id),
        c.initiated_by_me ? gettext("waiting for their answer") : gettext("waiting for your answer"))));
    $("request-empty").hidden = requests.length > 0;
    $("dm-list").replaceChildren(...accepted.map((c) =>
      listButton("dm:" + c.id, c.with.pseudonym, cur.kind === "dm" && cur.id === c.id, () => openConversation(c.id))));
    $("notice-list").replaceChildren(...state.notices.map((n) =>
      listButton("notice:" + n.id, noticeTitle(n), cur.kind === "notice" && String(cur.id) === String(n.id), () => openNotice(n.id),
        n.created_at ? dateText(n.created_at) : "")));
    $("notice-empty").hidden = state.notices.length > 0;
    if (focusedKey) {
      const again = document.querySelector('.sidebar button[data-key="' + CSS.escape(focusedKey) + '"]');
      if (again) again.focus();
    }
  }

  // --- Screens -----------------------------------------------------------------------------
  function showAuth() {
    state.user = null;
    $("auth").hidden = false;
    $("app").hidden = true;
    $("account-link").hidden = true;
    $("whoami").textContent = "";
  }

  async function muteAuthor(author) {
    try {
      await request("user.mute", { user: String(author.id) });
      for (const li of $("messages").querySelectorAll('[data-author="' + CSS.escape(String(author.id)) + '"]')) li.remove();
      showStatus(fmt(gettext("You muted %s: you will not see their messages any more. They are not told."), [author.pseudonym]), "ok");
    } catch (error) { showError(error); }
  }

  async function blockAuthor(author) {
    try {
      await request("user.block", { user: String(author.id) });
      for (const li of $("messages").querySelectorAll('[data-author="' + CSS.escape(String(author.id)) + '"]')) li.remove();
      showStatus(fmt(gettext("You blocked %s: they cannot write to you and you will not see their messages. They are not told."), [author.pseudonym]), "ok");
      refreshConversations();
    } catch (error) { showError(error); }
  }

  // --- Trusted connections (across age groups) ---------------------------------------------
  async function refreshTrusted() {
    try {
      state.trusted = (await request("trusted.list")).connections || [];
      renderTrusted();
    } catch (error) { if (error.code !== "disconnected") showError(error); }
  }

  function renderTrusted() {
    const button = (label, name, run) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = label;
      b.setAttribute("aria-label", name);
      b.addEventListener("click", run);
      return b;
    };
    $("trusted-list").replaceChildren(...state.trusted.map((c) => {
      const li = document.createElement("li");
      li.dataset.trusted = c.id;
      li.dataset.state = c.state;
      const who = [c.with.pseudonym];
      const text = document.createElement("span");
      text.className = "label";
      if (c.state === "active") text.textContent = fmt(gettext("%s: you may write to each other"), who);
      else if (c.proposed_by_me) text.textContent = fmt(gettext("%s: waiting for their answer"), who);
      else text.textContent = fmt(gettext("%s proposes a trusted connection"), who);
      li.append(text);
      if (c.state === "proposed" && !c.proposed_by_me) {
        li.append(button(gettext("Accept"), fmt(gettext("Accept the trusted connection with %s"), who), () => acceptTrusted(c)));
        li.append(button(gettext("Decline"), fmt(gettext("Decline the trusted connection with %s"), who), () => endTrusted(c)));
      } else {
        const label = c.state === "active" ? gettext("End") : gettext("Withdraw");
        li.append(button(label, fmt(gettext("End the trusted connection with %s"), who), () => endTrusted(c)));
      }
      return li;
    }));
    $("trusted-empty").hidden = state.trusted.length > 0;
  }

  async function proposeTrusted(author) {
    try {
      await request("trusted.propose", { user: String(author.id) });
      showStatus(fmt(gettext("Trusted connection proposed to %s: they can accept or decline it."), [author.pseudonym]), "ok");
      refreshTrusted();
    } catch (error) {
      if (error.code === "assurance_required" && error.reason === "trusted_connection") offerAgeCheck(error, () => proposeTrusted(author));
      else showError(error);
    }
  }

  async function acceptTrusted(connection) {
    try {
      await request("trusted.accept", { connection: connection.id });
      showStatus(fmt(gettext("You and %s may now write to each other in private."), [connection.with.pseudonym]), "ok");
      refreshTrusted();
    } catch (error) {
      if (error.code === "assurance_required" && error.reason === "trusted_connection") offerAgeCheck(error, () => acceptTrusted(connection));
      else showError(error);
    }
  }

  async function endTrusted(connection) {
    try {
      await request("trusted.end", { connection: connection.id });
      refreshTrusted();
    } catch (error) { showError(error); }
  }

  // --- First contact (minors) and replies --------------------------------------------------
  // The notice says who writes before the text: joined when, rooms shared, older or not;
  // "Block and report" in one tap, and the tips. `hidden` is the text, shown on request.
  function firstContactCard(notice, onBlockReport, hidden) {
    const card = document.createElement("div");
    card.className = "safety first-contact";
    card.setAttribute("role", "note");
    const summary = document.createElement("p");
    summary.className = "first-contact-summary";
    summary.textContent = notice.summary || "";
    const tips = document.createElement("p");
    tips.className = "first-contact-tips";
    tips.textContent = notice.message || "";
    tips.hidden = true;
    const row = document.createElement("div");
    row.className = "row";
    const button = (label, cls, run) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.textContent = label;
      b.addEventListener("click", run);
      row.append(b);
      return b;
    };
    button(gettext("Block and report"), "danger", onBlockReport);
    const tipsButton = button(gettext("Tips"), "secondary", () => {
      tips.hidden = !tips.hidden;
      tipsButton.setAttribute("aria-expanded", tips.hidden ? "false" : "true");
    });
    tipsButton.setAttribute("aria-expanded", "false");
    card.append(summary, row, tips);
    if (hidden) {
      hidden.hidden = true;
      const show = button(gettext("Show the message"), "secondary", () => { hidden.hidden = false; show.remove(); });
      card.append(hidden);
    }
    return card;
  }

  async function blockAndReport(message, conversationId) {
    try {
      await request("report", {
        target: { message: String(message.id) }, category: "child_safety",
        details: gettext("First contact: blocked and reported from the safety notice."), good_faith: true,
      });
      if (conversationId) {
        await request("dm.block", { conversation: conversationId });
        showStatus(fmt(gettext("You blocked and reported %s. A moderator will look at it."), [message.author.pseudonym]), "ok");
        refreshConversations().then(showWelcome);
        return;
      }
      await blockAuthor(message.author);
      showStatus(fmt(gettext("You blocked and reported %s. A moderator will look at it."), [message.author.pseudonym]), "ok");
    } catch (error) { showError(error); }
  }

  function startReply(message) {
    state.replyTo = message;
    $("reply-text").textContent = fmt(gettext("Replying to %s"), [message.author.pseudonym]);
    $("reply-bar").hidden = false;
    $("composer-input").focus();
  }

  function cancelReply() {
    state.replyTo = null;
    $("reply-bar").hidden = true;
  }

  // A page that needs an account (the moderator console, the account page) sent a signed-out
  // visitor here to log in (?next=…): back there once signed in. Only those paths, so the
  // parameter cannot lead off the site.
  function returnPath() {
    const next = new URLSearchParams(location.search).get("next") || "";
    return /^\/(moderation|account)\/[\w\-/?=&%.]*$/.test(next) ? next : "";
  }

  async function showApp(user) {
    state.user = user;
    $("auth").hidden = true;
    $("app").hidden = false;
    $("account-link").hidden = false;
    // Minors see the way to help outside Phare first of all.
    $("safety-link").classList.toggle("prominent", user.age_band !== "18+");
    $("whoami").textContent = user.pseudonym;
    try {
      state.rooms = (await api("GET", "rooms")).rooms;
    } catch (error) { showError(error); }
    renderSidebar();
    loadNotices();
    if (!state.socket || state.socket.readyState > WebSocket.OPEN) connect();
  }

  // On a phone the list and the conversation take turns (client.css): opening something shows
  // it, the toggle brings the list back. On a wide screen both stay side by side.
  function showList(shown) {
    $("app").classList.toggle("list-shown", shown);
    $("sidebar-toggle").setAttribute("aria-expanded", shown ? "true" : "false");
  }

  function resetPane(title, description) {
    showList(false);
    closeMessageMenu(false);
    if ($("status").classList.contains("error") && !$("status").dataset.cause) showStatus("");  // about the last screen
    $("pane-title").textContent = title;
    $("pane-description").textContent = description || "";
    $("welcome").hidden = true;
    for (const id of ["request-panel", "pending-panel", "notice-panel"]) $(id).hidden = true;
    $("composer").hidden = true;
    $("messages").hidden = false;
    state.replyTo = null;
    $("reply-bar").hidden = true;
    setFeedback("");
  }

  function showWelcome() {
    state.current = null;
    resetPane(gettext("Choose a room"));
    showList(true);
    $("welcome").hidden = false;
    $("messages").replaceChildren();
    renderSidebar();
  }

  async function openRoom(slug, options) {
    state.current = { kind: "room", slug };
    const room = state.rooms.find((r) => r.slug === slug);
    resetPane(room ? room.name : slug, room ? room.description : "");
    $("messages").replaceChildren();
    $("composer-input").maxLength = room && room.max_message_length ? room.max_message_length : 1000;
    renderSidebar();
    state.joining.add(slug);
    try {
      const ack = await request("room.join", { room: slug });
      state.joined.add(slug);
      if (!state.current || state.current.kind !== "room" || state.current.slug !== slug) return;
      $("composer").hidden = false;
      updateSendButton();
      updateImageControl();
      renderMessages(ack.history || []);  // with the composer shown: the list ends at the latest
      if (!(options && options.keepFocus) || state.focusAfterJoin === slug) $("composer-input").focus();
      state.focusAfterJoin = null;
    } catch (error) {
      if (error.code === "disconnected") {
        // Opened before the socket was up: joined (and focused) as soon as it opens.
        if (!(options && options.keepFocus)) state.focusAfterJoin = slug;
        return;
      }
      if (state.current && state.current.slug === slug) {
        $("pending-text").textContent = errorText(error);
        $("pending-panel").hidden = false;
        if (error.code === "assurance_required") offerAgeCheck(error, () => openRoom(slug));
      }
    } finally {
      state.joining.delete(slug);
    }
  }

  async function openConversation(id, options) {
    const conversation = state.conversations.find((c) => c.id === id);
    if (!conversation) { showWelcome(); return; }
    state.current = { kind: "dm", id };
    resetPane(conversation.with.pseudonym, gettext("Private conversation"));
    $("messages").replaceChildren();
    const incoming = conversation.state === "requested" && !conversation.initiated_by_me;
    const outgoing = conversation.state === "requested" && conversation.initiated_by_me;
    if (incoming) {
      clearStatus("request");
      $("request-text").textContent = fmt(gettext("%s wants to talk with you. Nothing more reaches you unless you accept. You can decline, or block them so that they can never write to you again."), [conversation.with.pseudonym]);
      const prompt = state.safetyPrompts[id];
      const minor = state.user && state.user.age_band !== "18+";
      $("safety-prompt").hidden = !(prompt || minor);
      $("safety-prompt-text").textContent = ((prompt && prompt.summary) ? prompt.summary + " " : "") + gettext("Someone you may not know wants to talk to you. You can decline or block them, and report them if anything feels wrong. Never share your address, your school, your number or photos, and never agree to meet.");
      // The request's text waits behind a button: who writes comes first.
      $("messages").hidden = Boolean(prompt || minor);
      $("request-reveal").hidden = !(prompt || minor);
      $("safety-prompt-link").href = (prompt && prompt.safety_url) || "/safety/";
      $("request-panel").hidden = false;
    }
    if (outgoing) {
      $("pending-text").textContent = fmt(gettext("Your request to %s is waiting for an answer. You can write more once they accept."), [conversation.with.pseudonym]);
      $("pending-panel").hidden = false;
    }
    $("composer").hidden = conversation.state !== "accepted";
    updateSendButton();
    updateImageControl();
    renderSidebar();
    try {
      const ack = await request("dm.history", { conversation: id });
      if (state.current && state.current.kind === "dm" && state.current.id === id) renderMessages(ack.messages || []);
      if (conversation.state === "accepted" && !(options && options.keepFocus)) $("composer-input").focus();
      else if (incoming && !(options && options.keepFocus)) $("request-accept").focus();
    } catch (error) { showError(error); }
  }

  async function refreshConversations() {
    try {
      state.conversations = (await request("dm.list")).conversations || [];
      renderSidebar();
    } catch (error) { if (error.code !== "disconnected") showError(error); }
  }

  // An age check opens the way (assurance.js); afterwards the account's level is fresh.
  function offerAgeCheck(error, retry) {
    if (!window.PhareAssurance) return;
    window.PhareAssurance.start(error, (user) => {
      if (user) { state.user = user; renderSidebar(); }
      retry();
    });
  }

  // --- Direct messages ---------------------------------------------------------------------
  function openDmDialog(person) {
    const dialog = $("dm-dialog");
    $("dm-error").hidden = true;
    $("dm-body").value = "";
    if (person) {
      $("dm-dialog-title").textContent = fmt(gettext("Private message to %s"), [person.pseudonym]);
      dialog.dataset.to = String(person.id);
      $("dm-to-row").hidden = true;
      $("dm-to").required = false;
    } else {
      $("dm-dialog-title").textContent = gettext("New private message");
      dialog.dataset.to = "";
      $("dm-to").value = "";
      $("dm-to-row").hidden = false;
      $("dm-to").required = true;
    }
    dialog.showModal();
    (person ? $("dm-body") : $("dm-to")).focus();
  }

  // --- Reports -----------------------------------------------------------------------------
  function openReportDialog(message, opener) {
    state.reportTarget = { message, opener };
    $("report-quote").textContent = fmt(gettext("%s wrote: %s"), [message.author.pseudonym, message.body]);
    $("report-details").value = "";
    $("report-good-faith").checked = false;
    $("report-error").hidden = true;
    $("report-mute").textContent = fmt(gettext("Mute %s"), [message.author.pseudonym]);
    $("report-block").textContent = fmt(gettext("Block %s"), [message.author.pseudonym]);
    $("report-dialog").showModal();
    $("report-category").focus();
  }

  // --- Notices and appeals -----------------------------------------------------------------
  const ACTION_TEXT = {
    remove_message: gettext("A message of yours was removed"),
    warn: gettext("You received a warning"),
    mute: gettext("You are muted for a while"),
    suspend: gettext("Your account is suspended"),
    ban: gettext("Your account is closed"),
    dismiss: gettext("Your report was looked at"),
    restrict_to_verified: gettext("Your account needs a stronger age check"),
    require_age_assurance: gettext("Your account needs an age check"),
    lock_room: gettext("A room was locked"),
  };

  function noticeTitle(notice) {
    if (notice.kind === "report_outcome") return gettext("About your report");
    if (notice.kind === "appeal_outcome") return gettext("About your appeal");
    if (notice.kind === "room_proposal") return gettext("About your room proposal");
    if (notice.kind === "interim") return gettext("A temporary measure while a moderator looks");
    return ACTION_TEXT[notice.action] || gettext("A moderation decision");
  }

  async function loadNotices() {
    try {
      state.notices = (await api("GET", "notices")).notices || [];
    } catch (error) {
      // Keep what we have (events already received); shown again at the next load.
    }
    renderSidebar();
  }

  function addNotice(notice) {
    state.notices = [notice].concat(state.notices.filter((n) => String(n.id) !== String(notice.id)));
    renderSidebar();
  }

  function openNotice(id) {
    const notice = state.notices.find((n) => String(n.id) === String(id));
    if (!notice) return;
    state.current = { kind: "notice", id: notice.id };
    resetPane(gettext("Notice"));
    $("messages").hidden = true;
    $("notice-title").textContent = noticeTitle(notice);
    $("notice-text").textContent = notice.text || "";
    // The statement already says whether automated means were used and until when an appeal
    // is open (with its date): the page does not say it a second time.
    const appealable = notice.appealable_until && new Date(notice.appealable_until) > new Date();
    $("notice-meta").textContent = appealable && !notice.appealed ? gettext("To appeal, say below why you think the decision is wrong.") : "";
    $("notice-meta").hidden = !$("notice-meta").textContent;
    clearStatus("notice");
    $("appeal-form").hidden = !appealable || notice.appealed;
    $("appeal-reason").value = "";
    $("appeal-done").hidden = !notice.appealed;
    $("appeal-done").textContent = gettext("Your appeal was sent. You will get a notice with the answer.");
    $("notice-panel").hidden = false;
    renderSidebar();
    $("notice-title").setAttribute("tabindex", "-1");
    $("notice-title").focus();
  }

  function onEvent(event) {
    const cur = state.current || {};
    switch (event.type) {
      case "room.message":
        if (cur.kind === "room" && cur.slug === event.room) showMessage(event.message, event.restored);
        if (event.message && event.message.image) uploadCleared(String(event.message.image.id));
        break;
      case "dm.message":
        if (cur.kind === "dm" && cur.id === event.conversation) showMessage(event.message, event.restored);
        if (event.message && event.message.image) uploadCleared(String(event.message.image.id));
        break;
      case "upload.failed":
        if (event.upload) uploadFailed(String(event.upload.id), event.upload.error);
        break;
      case "first_contact": {
        state.firstContacts[String(event.message)] = event.notice;
        // Usually before the message; if the message is already on screen, it is redrawn.
        const shown = $("messages").querySelector('[data-id="' + CSS.escape(String(event.message)) + '"]');
        if (shown && cur.kind === "room" && cur.slug === event.room) {
          const message = { id: event.message, author: event.notice.from, body: shown.querySelector(".body") ? shown.querySelector(".body").textContent : "",
                            created_at: shown.querySelector("time") ? shown.querySelector("time").dateTime : "" };
          shown.replaceWith(messageItem(message));
        }
        break;
      }
      case "dm.request":
        if (event.safety_prompt && event.conversation) state.safetyPrompts[event.conversation.id || event.conversation] = event.safety_prompt;
        showStatus(fmt(gettext("%s sent you a message request. Open it under Requests."), [event.from.pseudonym]), "info", "request");
        refreshConversations();
        break;
      case "trusted.proposed":
      case "trusted.accepted":
      case "trusted.ended": {
        const connection = event.connection || {};
        refreshTrusted();
        if (connection.with && event.type === "trusted.proposed" && !connection.proposed_by_me) {
          showStatus(fmt(gettext("%s proposes a trusted connection: see Trusted connections."), [connection.with.pseudonym]), "info");
        } else if (connection.with && event.type === "trusted.accepted" && connection.proposed_by_me) {
          showStatus(fmt(gettext("%s accepted your trusted connection."), [connection.with.pseudonym]), "ok");
        }
        break;
      }
      case "dm.accepted":
      case "dm.declined": {
        const conversation = event.conversation || {};
        const id = conversation.id || event.conversation;
        refreshConversations().then(() => {
          if (cur.kind === "dm" && cur.id === id) openConversation(id, { keepFocus: true });
        });
        if (conversation.with && conversation.initiated_by_me) {
          if (event.type === "dm.declined") showStatus(fmt(gettext("%s did not accept your request."), [conversation.with.pseudonym]), "info");
          else showStatus(fmt(gettext("%s accepted your request."), [conversation.with.pseudonym]), "ok");
        }
        break;
      }
      case "message.removed": {
        const li = $("messages").querySelector('[data-id="' + CSS.escape(String(event.message_id)) + '"]');
        if (li) {
          const gone = document.createElement("p");
          gone.className = "removed";
          gone.textContent = gettext("This message was removed by the moderators.");
          li.classList.add("is-removed");
          li.replaceChildren(gone);
        }
        break;
      }
      case "resync":
        // The server may have lost live events (docs/protocol.md): what is on screen is read
        // again from history (not re-joined: joins are rate-limited), and the conversations.
        if (cur.kind === "room" && (event.rooms || []).includes(cur.slug)) {
          request("room.history", { room: cur.slug }).then((ack) => {
            if (state.current && state.current.kind === "room" && state.current.slug === cur.slug) renderMessages(ack.messages || []);
          }).catch(() => {});
        }
        if (event.direct) {
          refreshConversations();
          refreshTrusted();
          loadNotices();
          if (cur.kind === "dm") {
            request("dm.history", { conversation: cur.id }).then((ack) => {
              if (state.current && state.current.kind === "dm" && state.current.id === cur.id) renderMessages(ack.messages || []);
            }).catch(() => {});
          }
        }
        break;
      case "notice":
        addNotice(event.notice || event);
        // The list over HTTP is written in the page's language; the event may not be.
        loadNotices().then(() => {
          const open = state.current && state.current.kind === "notice" && state.notices.find((n) => String(n.id) === String(state.current.id));
          if (open) $("notice-text").textContent = open.text || "";
        });
        showStatus(gettext("You have a new notice about a moderation decision. Open it under Notices."), "info", "notice");
        break;
      default:
        break;
    }
  }

  // --- Sending images (docs/images.md) -------------------------------------------------------
  // The control mirrors chat.media.accept_upload so that nobody is offered what would be
  // refused: never from a minor's account; in a room only when it takes images (adults' rooms
  // with media_allowed); in a private conversation only once accepted (an adult's contacts
  // are adults; the server still checks the other person and says media_not_allowed if not).
  // The server stays the authority: whatever it refuses is shown as a sentence.
  function imagesAllowedHere() {
    const cur = state.current;
    if (!cur || !state.user || state.user.age_band !== "18+") return false;
    if (cur.kind === "room") {
      const room = state.rooms.find((r) => r.slug === cur.slug);
      return Boolean(room && room.audience === "adults" && room.media_allowed);
    }
    if (cur.kind === "dm") {
      const conversation = state.conversations.find((c) => c.id === cur.id);
      return Boolean(conversation && conversation.state === "accepted");
    }
    return false;
  }

  function currentKey() {
    const cur = state.current;
    if (!cur) return "";
    return cur.kind === "room" ? "room:" + cur.slug : cur.kind === "dm" ? "dm:" + cur.id : "";
  }

  function updateImageControl() {
    $("composer-image-button").hidden = !imagesAllowedHere();
    renderUploads();
  }

  // Refusals worded for an image: the generic texts speak of messages ("too long").
  function uploadErrorText(error) {
    const code = (error && error.code) || "server_error";
    if (code === "too_large" || (error && error.status === 413)) {
      if (error.reason === "bytes" || !error.reason) {
        const mb = error.max_bytes ? Math.floor(error.max_bytes / (1024 * 1024)) : 0;
        return mb ? fmt(gettext("This image is too big: %s MB at most."), [mb]) : gettext("This image is too big.");
      }
      return gettext("This image has too many pixels: choose a smaller one.");
    }
    if (code === "unsupported_media" && error.reason === "malformed") return gettext("This image is damaged and could not be read. Try another file.");
    if (code === "media_not_allowed" && error.reason === "conversation_not_accepted") return gettext("Images can only be sent once the other person has accepted the conversation.");
    if (code === "media_not_allowed" && error.reason === "minor") return gettext("Images are only possible between adults.");
    if (code === "blocked_by_policy") return gettext("This image was not sent: it matches an image that is not allowed on Phare. The moderation team was told.");
    if (code === "not_member") return gettext("Join the room before sending an image.");
    return errorText(error);
  }

  // One line under the composer while an image of this room or conversation is on its way.
  // Shown, not spoken on every change: uploadImage announces it once.
  function renderUploads() {
    const key = currentKey();
    const here = [...state.uploads.values()].filter((u) => u.key === key).length;
    let text = "";
    if (state.sendingTo === key && key) text = gettext("Sending the image…");
    else if (here === 1) text = gettext("Image being checked… It appears here once it is cleared.");
    else if (here > 1) text = fmt(gettext("%s images being checked… They appear here once they are cleared."), [here]);
    const el = $("composer-upload");
    el.textContent = text;
    el.hidden = !text;
  }

  async function uploadImage(file) {
    const cur = state.current;
    if (!file || !cur || (cur.kind !== "room" && cur.kind !== "dm")) return;
    const key = currentKey();
    const form = new FormData();
    form.append("image", file);
    if (cur.kind === "room") form.append("room", cur.slug); else form.append("conversation", cur.id);
    state.sendingTo = key;
    if (currentKey() === key) setFeedback("");
    renderUploads();
    try {
      const upload = (await api("POST", "uploads", form)).upload;
      state.uploads.set(String(upload.id), { key });
      announce(gettext("Image being checked… It appears here once it is cleared."));
      pollUpload(String(upload.id), 2000);
    } catch (error) {
      if (currentKey() === key) setFeedback(uploadErrorText(error), "error"); else showStatus(uploadErrorText(error), "error");
    } finally {
      state.sendingTo = null;
      renderUploads();
    }
  }

  // The outcome arrives as an event (the image as room.message / dm.message, or
  // upload.failed); polling GET /uploads/<id> covers a socket that was down at that moment.
  async function pollUpload(id, delay) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (!state.uploads.has(id)) return; // an event settled it
    let upload;
    try { upload = (await api("GET", "uploads/" + encodeURIComponent(id))).upload; }
    catch (error) {
      if (error.code === "not_found") { state.uploads.delete(id); renderUploads(); return; }
      upload = { status: "scanning" }; // offline for a moment: ask again later
    }
    if (upload.status === "scanning") { pollUpload(id, Math.min(delay * 2, 10000)); return; }
    const pending = state.uploads.get(id);
    if (upload.status === "cleared") {
      // Shown as the event would have shown it, unless the event already did.
      if (pending && pending.key === currentKey() && upload.message && upload.image) {
        appendMessage({ id: upload.message, author: { id: state.user.id, pseudonym: state.user.pseudonym },
          body: "", created_at: new Date().toISOString(), image: upload.image });
      }
      uploadCleared(id);
    } else uploadFailed(id, upload.error);
  }

  function uploadCleared(id) {
    const pending = state.uploads.get(id);
    if (!pending) return;
    state.uploads.delete(id);
    renderUploads();
    if (pending.key !== currentKey()) showStatus(gettext("Your image was checked and sent."), "ok");
  }

  function uploadFailed(id, error) {
    const pending = state.uploads.get(id);
    if (!pending) return;
    state.uploads.delete(id);
    renderUploads();
    error = error || { code: "server_error" };
    // Its type was accepted from the header at upload time, so unsupported_media from the
    // scan means the pixels could not be decoded (the polled status carries no reason).
    if (error.code === "unsupported_media") error = Object.assign({}, error, { reason: "malformed" });
    const text = uploadErrorText(error);
    if (pending.key === currentKey()) setFeedback(gettext("Your image was not sent.") + " " + text, "blocked");
    else showStatus(gettext("Your image was not sent.") + " " + text, "error");
  }

  // --- Composer feedback: blocked reasons, slow mode countdown ------------------------------
  // Feedback under the composer takes room from the messages: a reader who was at the latest
  // message stays there.
  function keepingTheEnd(change) {
    const list = $("messages");
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
    change();
    if (atEnd) scrollToEnd();
  }

  function setFeedback(text, kind) {
    keepingTheEnd(() => {
      const el = $("composer-feedback");
      el.textContent = text || "";
      el.className = "composer-feedback" + (kind ? " " + kind : "");
      el.hidden = !text;
    });
  }

  // The countdown is shown, not spoken every second: one announcement when the wait starts.
  function updateSendButton() {
    const button = $("composer-send");
    const wait = $("composer-wait");
    const left = Math.ceil((waitUntil() - Date.now()) / 1000);
    if (left > 0) {
      button.disabled = true;
      button.textContent = fmt(gettext("Wait %s s"), [left]);
      wait.textContent = fmt(gettext("Slow mode: you can send your next message in %s."), [secondsText(left)]);
      wait.hidden = false;
      return;
    }
    button.disabled = false;
    button.textContent = gettext("Send");
    wait.hidden = true;
    wait.textContent = "";
    if (state.waitTimer) { clearInterval(state.waitTimer); state.waitTimer = null; }
  }

  function waitUntil() {
    const cur = state.current;
    return cur && cur.kind === "room" ? state.waits[cur.slug] || 0 : 0;
  }

  function startWait(seconds) {
    if (!state.current || state.current.kind !== "room") return;
    state.waits[state.current.slug] = Date.now() + seconds * 1000;
    if (!state.waitTimer) state.waitTimer = setInterval(updateSendButton, 1000);
    keepingTheEnd(updateSendButton);
    announce($("composer-wait").textContent);
  }

  function announce(text) {
    const el = $("announcer");
    el.textContent = "";
    // A new text node in a live region is what screen readers announce.
    setTimeout(() => { el.textContent = text; }, 50);
  }

  // --- Wiring ------------------------------------------------------------------------------
  function formData(form) {
    return Object.fromEntries(new FormData(form).entries());
  }

  function formError(id, error) {
    const el = $(id);
    el.textContent = errorText(error);
    el.hidden = false;
  }

  function requireFields(form, errorId) {
    for (const input of form.querySelectorAll("[required]")) {
      if (!input.value.trim()) {
        const label = form.querySelector('label[for="' + input.id + '"]');
        $(errorId).textContent = fmt(gettext("Please fill in: %s."), [label ? label.textContent : input.name]);
        $(errorId).hidden = false;
        input.focus();
        return false;
      }
    }
    $(errorId).hidden = true;
    return true;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("status-close").addEventListener("click", () => showStatus(""));
    $("sidebar-toggle").addEventListener("click", () => showList(!$("app").classList.contains("list-shown")));

    // A message's menu closes when the person clicks anywhere else.
    document.addEventListener("click", (e) => {
      if (!e.target.closest(".message-menu, button.actions")) closeMessageMenu(false);
    });
    // Signing in rotates the CSRF token: the switcher must post the current one, not the
    // one the page was rendered with, or changing language after sign-up is refused.
    $("lang-form").addEventListener("submit", (e) => {
      const input = e.target.querySelector('input[name="csrfmiddlewaretoken"]');
      if (input && csrfToken()) input.value = csrfToken();
    });
    $("signup-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!requireFields(e.target, "signup-error")) return;
      try { showStatus(""); await showApp((await api("POST", "accounts/signup", formData(e.target))).user); }
      catch (error) { formError("signup-error", error); }
    });
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!requireFields(e.target, "login-error")) return;
      try {
        showStatus("");
        const user = (await api("POST", "accounts/login", formData(e.target))).user;
        const back = returnPath();
        if (back) { location.assign(back); return; }
        await showApp(user);
      } catch (error) { formError("login-error", error); }
    });
    $("composer").addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = $("composer-input");
      const body = input.value;
      if (!body.trim() || !state.current || Date.now() < waitUntil()) return;
      const slowRoom = state.current.kind === "room" && (state.rooms.find((r) => r.slug === state.current.slug) || {}).slow_mode_seconds;
      // After a contact warning, something that looks like contact details needs a second Send.
      if (state.contactWarned && CONTACT_LIKE.test(body) && input.dataset.confirmed !== body) {
        input.dataset.confirmed = body;
        setFeedback(gettext("This looks like contact details. Outside Phare, nobody moderates the conversation. Press Send again to share it anyway."), "held");
        return;
      }
      delete input.dataset.confirmed;
      try {
        let ack;
        if (state.current.kind === "room") {
          const fields = { room: state.current.slug, body };
          if (state.replyTo) fields.reply_to = String(state.replyTo.id);
          ack = await request("room.send", fields);
          cancelReply();
        }
        else ack = await request("dm.send", { conversation: state.current.id, body });
        input.value = "";
        setFeedback("");
        appendMessage(ack.message, { held: ack.message.status === "held" });
        // The server says why (ack.hold.message, in the reader's language) before what happens next.
        if (ack.message.status === "held") setFeedback((ack.hold ? ack.hold.message + " " : "") + gettext("Your message is held for review: only you can see it until a moderator checks it."), "held");
        else if (ack.contact_warning) {
          state.contactWarned = true;
          setFeedback(gettext("You are sharing contact details. Only share them with people you trust: outside Phare, nobody moderates the conversation."), "held");
        }
        if (slowRoom) startWait(slowRoom);
      } catch (error) {
        if (error.code === "rate_limited" && error.retry_after) { startWait(Math.ceil(error.retry_after)); return; }
        const kind = error.code === "blocked_by_policy" ? "blocked" : "error";
        setFeedback(errorText(error), kind);
        if (error.code === "assurance_required") offerAgeCheck(error, () => {});
      }
    });
    // "Add image" opens the file picker (a real button: focusable, Enter and Space work).
    $("composer-image-button").textContent = gettext("Add image");
    $("composer-image-hint").textContent = gettext("JPEG, PNG, WebP or GIF. Every image is checked before anyone sees it, and shown blurred until they choose to see it.");
    // One file at a time. Not `disabled` while sending: that would take the focus away.
    $("composer-image-button").addEventListener("click", () => { if (!state.sendingTo) $("composer-image").click(); });
    $("composer-image").addEventListener("change", (e) => {
      const file = e.target.files && e.target.files[0];
      e.target.value = ""; // the same file can be chosen again after a refusal
      uploadImage(file);
    });
    $("composer-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
    });
    $("request-reveal").addEventListener("click", () => { $("messages").hidden = false; $("request-reveal").hidden = true; });
    $("request-block-report").addEventListener("click", () => {
      const cur = state.current;
      const first = $("messages").querySelector(".message");
      const conversation = cur && state.conversations.find((c) => c.id === cur.id);
      if (!first || !conversation) return;
      blockAndReport({ id: first.dataset.id, author: conversation.with }, cur.id);
    });
    $("reply-cancel").addEventListener("click", cancelReply);
    for (const [id, type] of [["request-accept", "dm.accept"], ["request-decline", "dm.decline"], ["request-block", "dm.block"]]) {
      $(id).addEventListener("click", async () => {
        if (!state.current || state.current.kind !== "dm") return;
        const conversation = state.conversations.find((c) => c.id === state.current.id);
        try {
          await request(type, { conversation: state.current.id });
          await refreshConversations();
          if (type === "dm.accept") { openConversation(state.current.id); return; }
          showWelcome();
          const who = conversation ? conversation.with.pseudonym : "";
          showStatus(type === "dm.block"
            ? fmt(gettext("You blocked %s. They cannot write to you any more."), [who])
            : fmt(gettext("You declined the request from %s."), [who]), "ok");
          $("room-list").querySelector("button") ? $("room-list").querySelector("button").focus() : null;
        } catch (error) { showError(error); }
      });
    }
    $("new-dm").addEventListener("click", () => openDmDialog(null));
    $("dm-cancel").addEventListener("click", () => $("dm-dialog").close());
    $("dm-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const dialog = $("dm-dialog");
      if (!requireFields(e.target, "dm-error")) return;
      const to = dialog.dataset.to || $("dm-to").value.trim();
      try {
        const ack = await request("dm.open", { to, body: $("dm-body").value });
        dialog.close();
        await refreshConversations();
        if (ack.conversation && ack.conversation.id) openConversation(ack.conversation.id);
        showStatus(gettext("Request sent. Nothing more is delivered until they accept."), "ok");
      } catch (error) { formError("dm-error", error); }
    });
    $("report-cancel").addEventListener("click", () => $("report-dialog").close());
    // Mute (quiet) or block (final) the author from the same dialog: neither is told.
    for (const [id, type] of [["report-mute", "user.mute"], ["report-block", "user.block"]]) {
      $(id).addEventListener("click", async () => {
        const target = state.reportTarget;
        if (!target) return;
        const author = target.message.author;
        try {
          await request(type, { user: String(author.id) });
          for (const li of $("messages").querySelectorAll('[data-author="' + CSS.escape(String(author.id)) + '"]')) li.remove();
          $("report-dialog").close();
          showStatus(type === "user.mute"
            ? fmt(gettext("You muted %s: you will not see their messages any more. They are not told."), [author.pseudonym])
            : fmt(gettext("You blocked %s: they cannot write to you and you will not see their messages. They are not told."), [author.pseudonym]), "ok");
          refreshConversations();
        } catch (error) { formError("report-error", error); }
      });
    }
    $("report-dialog").addEventListener("close", () => {
      const target = state.reportTarget;
      if (target && target.opener && target.opener.isConnected) target.opener.focus();
    });
    $("report-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const target = state.reportTarget;
      if (!target) return;
      if (!$("report-good-faith").checked) {
        $("report-error").textContent = gettext("Please confirm that you are reporting in good faith.");
        $("report-error").hidden = false;
        $("report-good-faith").focus();
        return;
      }
      try {
        await request("report", {
          target: { message: String(target.message.id) },
          category: $("report-category").value,
          details: $("report-details").value,
          good_faith: true,
        });
        $("report-dialog").close();
        showStatus(gettext("Thank you. Your report was received: a moderator will look at it, and you will get a notice with the outcome."), "ok");
      } catch (error) { formError("report-error", error); }
    });
    $("appeal-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const cur = state.current;
      if (!cur || cur.kind !== "notice") return;
      if (!$("appeal-reason").value.trim()) { $("appeal-reason").focus(); return; }
      try {
        await api("POST", "appeals", { notice: String(cur.id), reason: $("appeal-reason").value });
        const notice = state.notices.find((n) => String(n.id) === String(cur.id));
        if (notice) notice.appealed = true;
        $("appeal-form").hidden = true;
        $("appeal-done").hidden = false;
        $("appeal-done").focus();
      } catch (error) { showError(error); }
    });

    try {
      const session = await api("GET", "session");
      if (session.authenticated) await showApp(session.user); else showAuth();
    } catch (error) { showAuth(); showError(error); }
    document.body.dataset.ready = "true";
  });
})();
