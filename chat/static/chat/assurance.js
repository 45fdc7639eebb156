/* Age-assurance walk-through: shown when the server answers `assurance_required`.
   Lists the checks that would open the way, runs the demo estimator (local trials only),
   takes a signed token from an age-check service, or asks a wallet (openid4vp: a request,
   a link to the wallet, then the answer polled and collected). Everything rendered as text. */
"use strict";

(function () {
  // Strings are gettext() calls on literals, so that `make messages` extracts them.
  const gettext = window.gettext || ((s) => s);

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(path, body) {
    const response = await fetch("/api/v1/" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) throw data.error || { message: gettext("Something went wrong. Please try again.") };
    return data;
  }

  async function get(path) {
    const response = await fetch("/api/v1/" + path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) throw data.error || { message: gettext("Something went wrong. Please try again.") };
    return data;
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dialog() {
    let node = document.getElementById("assurance-dialog");
    if (!node) {
      node = element("dialog", { id: "assurance-dialog", "aria-labelledby": "assurance-title" });
      document.body.append(node);
    }
    node.replaceChildren();
    return node;
  }

  function levelText(level) {
    return { estimated: gettext("an age estimation"), verified: gettext("an age verification") }[level] || level;
  }

  // One walk-through at a time: two refusals in a row (a join retried on reconnection, say)
  // must not stack two dialogs.
  let busy = false;

  async function start(error, onDone) {
    const open = document.getElementById("assurance-dialog");
    if (busy || (open && open.open)) return;
    busy = true;
    try { await show(error, onDone); } finally { busy = false; }
  }

  async function show(error, onDone) {
    const box = dialog();
    box.append(element("h2", { id: "assurance-title" }, gettext("Confirm your age")));
    const intro = error && error.reason === "reassurance"
      ? gettext("Something suggests your account may not be in the right age space. Until a stronger age check, you cannot contact anyone.")
      : gettext("This space needs a stronger age check.");
    box.append(element("p", {}, intro));
    box.append(element("p", { class: "hint" }, gettext("Needed:") + " " + levelText((error && error.min_assurance) || "estimated") + ". " +
      gettext("Phare keeps only the result (age band, level, method and date), never a document or a photo.")));
    const status = element("p", { role: "status", "aria-live": "polite" });
    let offer;
    try { offer = await post("age-assurance/nonce"); }
    catch (e) { status.textContent = e.message || ""; box.append(status); box.showModal(); return; }
    const wanted = (error && error.providers) || Object.keys(offer.providers);
    const list = element("div", { class: "assurance-providers" });
    for (const name of wanted) {
      const provider = offer.providers[name];
      if (!provider) continue;
      const section = element("section", { class: "card" });
      section.append(element("h3", {}, provider.label || name));
      if (name === "openid4vp") {
        walletSection(section, box, status, onDone);
        list.append(section);
        continue;
      }
      const form = element("form");
      if (name === "demo") {
        const id = "assurance-demo-band";
        form.append(element("label", { for: id }, gettext("Age band to simulate")));
        const select = element("select", { id, name: "age_band" });
        for (const band of ["13-15", "16-17", "18+"]) select.append(element("option", { value: band }, band));
        form.append(select);
      } else {
        if (provider.issuers) {
          for (const issuer of provider.issuers) {
            if (issuer.start_url) {
              const link = element("a", { href: issuer.start_url, rel: "noreferrer noopener", target: "_blank" }, issuer.name || issuer.issuer || issuer.start_url);
              section.append(element("p", {}, gettext("Get a token from:") + " "), link);
            }
          }
        }
        const id = "assurance-token-" + name;
        form.append(element("label", { for: id }, gettext("Paste the token you received")));
        form.append(element("textarea", { id, name: "token", rows: "3", required: "" }));
      }
      form.append(element("button", { type: "submit" }, gettext("Confirm")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const body = Object.fromEntries(new FormData(form).entries());
        body.nonce = offer.nonce;
        try {
          const answer = await post("age-assurance/" + name, body);
          box.close();
          if (onDone) onDone(answer.user);
        } catch (e) {
          status.textContent = e.message || "";
          try { offer = await post("age-assurance/nonce"); } catch (ignored) { /* shown above */ }
        }
      });
      section.append(form);
      list.append(section);
    }
    if (!list.childElementCount) list.append(element("p", {}, gettext("No age check is available on this server yet. Please contact its operators.")));
    const close = element("button", { type: "button", class: "secondary" }, gettext("Not now"));
    close.addEventListener("click", () => box.close());
    box.append(list, status, close);
    box.showModal();
  }

  // --- openid4vp: the wallet answers Phare directly; this page waits for the outcome ------

  const POLL_MS = 2000;

  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  // The wallet branch: a button asks Phare for a presentation request, the link opens the
  // wallet on this device, then the transaction is polled until the wallet's answer was
  // verified (collected at once: the account's new level is shown), refused or expired.
  // No QR code: the project carries no QR library and the CSP allows no outside script.
  function walletSection(section, box, status, onDone) {
    section.append(element("p", { class: "hint" }, gettext("Your wallet app shares only whether you are over an age, nothing else. Phare never sees your name or your documents.")));
    const begin = element("button", { type: "button", class: "wallet-start" }, gettext("Prove my age with a wallet"));
    const area = element("div", { class: "wallet-area" });
    section.append(begin, area);
    let run = 0;  // a new attempt or a closed dialog stops the previous one's polling
    box.addEventListener("close", () => { run += 1; });

    begin.addEventListener("click", async () => {
      const mine = ++run;
      begin.disabled = true;
      area.replaceChildren();
      status.textContent = "";
      let started;
      try { started = await post("age-assurance/openid4vp/requests"); }
      catch (e) { status.textContent = e.message || ""; begin.disabled = false; return; }
      if (mine !== run) return;
      const link = element("a", { href: started.wallet_url, class: "wallet-link", rel: "noreferrer" }, gettext("Open my wallet app"));
      area.append(
        element("p", {}, gettext("Open your wallet app with this link and agree to share your age. This page waits for its answer.")),
        link,
        element("p", { class: "hint" }, gettext("Your wallet must be on this device: on a computer, open Phare on the phone that holds it.")),
      );
      status.textContent = gettext("Waiting for your wallet's answer…");
      const outcome = await waitForWallet(started, () => mine !== run);
      if (mine !== run) return;
      begin.disabled = false;
      area.replaceChildren();
      if (outcome.user) {
        begin.hidden = true;
        status.textContent = "";
        area.append(element("p", { class: "wallet-outcome success" },
          gettext("Your age is confirmed.") + " " + gettext("Your account now has:") + " " + levelText(outcome.user.assurance) + " (" + outcome.user.age_band + ")."));
        // However the dialog is closed (Continue, Escape), the page learns the new level.
        box.addEventListener("close", () => { if (onDone) onDone(outcome.user); }, { once: true });
        const next = element("button", { type: "button" }, gettext("Continue"));
        next.addEventListener("click", () => box.close());
        area.append(next);
        next.focus();
      } else {
        status.textContent = "";
        area.append(element("p", { class: "wallet-outcome failure" }, outcome.message));
        begin.textContent = gettext("Try again with my wallet");
      }
    });
  }

  // Polls the transaction until it is no longer pending; collects a verified one.
  // Answers {user} or {message} (what to tell the person).
  async function waitForWallet(started, stopped) {
    const expires = Date.parse(started.expires_at) || (Date.now() + 5 * 60 * 1000);
    const expired = { message: gettext("The request expired before your wallet answered. Try again.") };
    while (!stopped()) {
      if (Date.now() > expires) return expired;
      let state;
      try { state = await get("age-assurance/openid4vp/requests/" + encodeURIComponent(started.transaction)); }
      catch (e) {
        if (e.code === "vp_request_unknown") return expired;
        // A lost connection or a busy server: keep waiting until the request expires.
        await sleep(POLL_MS);
        continue;
      }
      if (state.status === "verified") {
        try {
          const answer = await post("age-assurance/openid4vp", { transaction: started.transaction });
          return { user: answer.user };
        } catch (e) { return { message: gettext("Your wallet's answer was not accepted.") + " " + (e.message || "") }; }
      }
      if (state.status === "refused") {
        return { message: gettext("Your wallet's answer was not accepted.") + " " + ((state.error && state.error.message) || "") };
      }
      await sleep(POLL_MS);
    }
    return expired;
  }

  window.PhareAssurance = { start };
})();
