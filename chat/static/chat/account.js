/* The account page: log out and account deletion, the deletion confirmed in the page (no
 * confirm()). No inline script: served as a static file under script-src 'self'. */
(function () {
  "use strict";
  const gettext = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const $ = (id) => document.getElementById(id);

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function send(method, path) {
    const response = await fetch("/api/v1/" + path, {
      method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    });
    if (!response.ok) throw new Error(String(response.status));
  }

  function failed() {
    $("account-error").textContent = gettext("Something went wrong. Please try again.");
    $("account-error").hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("logout").addEventListener("click", async () => {
      try { await send("POST", "accounts/logout"); } catch (error) { /* signed out either way */ }
      location.assign("/");
    });
    $("delete-start").addEventListener("click", () => {
      $("delete-start").hidden = true;
      $("delete-confirm").hidden = false;
      $("delete-no").focus();  // the safe choice first
    });
    $("delete-no").addEventListener("click", () => {
      $("delete-confirm").hidden = true;
      $("delete-start").hidden = false;
      $("delete-start").focus();
    });
    $("delete-yes").addEventListener("click", async () => {
      $("account-error").hidden = true;
      try {
        await send("DELETE", "me");
        location.assign("/");
      } catch (error) { failed(); }
    });
  });
}());
