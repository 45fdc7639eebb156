/* Age-assurance walk-through: shown when the server answers `assurance_required`.
   Lists the checks that would open the way, runs the demo estimator (local trials only)
   or takes a signed token from an age-check service. Everything rendered as text. */
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

  window.PhareAssurance = { start };
})();
