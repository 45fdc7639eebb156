/* The account page's strikes (GET /api/v1/me/strikes, docs/protocol.md). The words are the
 * page's own, translated in its template; the values come from the API and are set with
 * textContent. No inline script: a static file under script-src 'self'. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "long" });

  function setTime(node, iso) {
    node.setAttribute("datetime", iso);
    node.textContent = dateFormat.format(new Date(iso));
  }

  function show(record) {
    const list = $("strikes-list");
    record.strikes.forEach((strike) => {
      const item = $("strike-item").content.firstElementChild.cloneNode(true);
      item.dataset.reason = strike.reason;
      item.querySelector(".reason").textContent = strike.reason_text;
      item.querySelector(".weight").textContent = String(strike.weight);
      setTime(item.querySelector(".created"), strike.created_at);
      setTime(item.querySelector(".expires"), strike.expires_at);
      list.appendChild(item);
    });
    const any = record.strikes.length > 0;
    list.hidden = !any;
    $("strikes-none").hidden = any;
    $("strikes-total").querySelector(".value").textContent = String(record.active_weight);
    $("strikes-total").hidden = !any;
    // The next step matters to someone with strikes; to anyone else it would read as a threat.
    if (any && record.next_step) {
      $("strikes-next").querySelector(".threshold").textContent = String(record.next_step.threshold);
      $("strikes-next").querySelector(".step").textContent = record.next_step.text;
      $("strikes-next").hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const section = $("strikes");
    if (!section) { return; }
    try {
      const response = await fetch(section.dataset.api, { credentials: "same-origin" });
      if (!response.ok) { throw new Error(String(response.status)); }
      show(await response.json());
    } catch (error) {
      $("strikes-error").hidden = false;
    }
  });
}());
