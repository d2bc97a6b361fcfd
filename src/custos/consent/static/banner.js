/* Custos cookie banner: plain JavaScript, no framework, no inline styles or scripts (works under a CSP nonce).
 * Nothing that needs consent runs before the visitor's own clear act (LEK 2022:482 9 kap. 28 §; GDPR
 * Art. 4(11); CJEU C-673/17 Planet49): <script type="text/plain" data-category="analytics" data-src="...">
 * and <iframe data-category="..." data-src="..."> start only once their category is consented to. The choice
 * is recorded and its cookie set by the server (proof, Art. 7(1)); withdrawal is as easy as consent, from the
 * floating icon, and deletes the category's cookies (Art. 7(3)). GPC counts as a refusal (EDPB GL 05/2020). */
(function () {
  "use strict";
  var me = document.currentScript;
  var root = me.src.replace(/\/banner\.js(\?.*)?$/, ""); // Custos's own origin + /consent, for every call
  var base = root.replace(/\/consent$/, "");
  var nonce = me.nonce || "";
  var lang = /^sv/i.test(document.documentElement.lang) ? "sv" : "en";
  var cfg, st, box, icon, back;
  var now = {};

  function h(tag, props, kids) {
    var e = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      var v = props[k];
      if (k === "text") e.textContent = v;
      else if (k.indexOf("-") > 0 || k === "role" || k === "class") e.setAttribute(k, v);
      else e[k] = v;
    });
    (kids || []).forEach(function (c) { if (c) e.append(c); });
    return e;
  }
  function call(path, body) {
    var opts = { credentials: "include", headers: { Accept: "application/json" } }; // cookie also cross-origin
    if (body) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(root + path, opts).then(function (r) {
      if (!r.ok) throw new Error("consent " + r.status);
      return r.json();
    });
  }
  function cats() { return cfg.categories; }
  function all(v) {
    var o = {};
    cats().forEach(function (c) { o[c.id] = v; });
    return o;
  }
  function t(k) { return cfg.texts[k]; }

  // Start what the visitor consented to; stop and clear what they did not (or no longer) consent to.
  // `decided`: the visitor's own choice (or GPC), not the "nothing yet" before one.
  function apply(ch, decided) {
    now = ch;
    cats().forEach(function (c) {
      if (ch[c.id]) run(c.id);
      else wipe(c);
    });
    // Google Consent Mode v2: consent-default.js said "denied" before any tag; this is the update.
    var g = window.gtag;
    if (cfg.adapters.google_consent_mode && typeof g !== "function") console.warn("Custos: load consent-default.js first");
    if (typeof g === "function") {
      var a = ch.analytics ? "granted" : "denied", m = ch.marketing ? "granted" : "denied";
      g("consent", "update", { analytics_storage: a, ad_storage: m, ad_user_data: m, ad_personalization: m });
    }
    if (window._paq) window._paq.push([ch.analytics ? "rememberConsentGiven" : "forgetConsentGiven"]);
    if (cfg.adapters.piwik_pro === "consent_api") piwik(ch, decided);
    document.dispatchEvent(new CustomEvent("custos:consent", { detail: { choices: ch } }));
  }
  // Piwik PRO's consent manager (when the policy chooses its consent API over blocking the container): pass on
  // the choice for each consent type its setup uses, only when it differs from what it holds (every
  // setComplianceSettings counts a page view). Before a choice it only takes back an approval it still holds.
  var PP = { analytics: "analytics", user_feedback: "analytics", ab_testing_and_personalization: "preferences",
    remarketing: "marketing", conversion_tracking: "marketing", marketing_automation: "marketing" };
  function piwik(ch, decided) {
    var cm = window.ppms && window.ppms.cm;
    if (!cm) return;
    cm.api("getComplianceTypes", function (types) {
      cm.api("getComplianceSettings", function (held) {
        var c = {}, differs = false;
        types.forEach(function (ty) {
          if (!(PP[ty] in ch)) return;
          var s = ch[PP[ty]] ? 1 : 0, was = held && held.consents && held.consents[ty];
          was = was ? was.status : -1;
          c[ty] = { status: s };
          if (s !== was && (decided || was === 1)) differs = true;
        });
        if (differs) cm.api("setComplianceSettings", { consents: c }, function () {});
      });
    });
  }
  function run(id) {
    document.querySelectorAll('script[type="text/plain"][data-category="' + id + '"]').forEach(function (o) {
      var n = document.createElement("script");
      Array.prototype.forEach.call(o.attributes, function (a) {
        if (!/^(type|data-src|data-category|nonce)$/.test(a.name)) n.setAttribute(a.name, a.value);
      });
      n.nonce = o.nonce || nonce;
      if (o.dataset.src) n.src = o.dataset.src;
      else n.text = o.text;
      o.replaceWith(n);
    });
    document.querySelectorAll('iframe[data-category="' + id + '"][data-src]').forEach(function (f) {
      f.src = f.dataset.src;
      f.removeAttribute("data-src");
    });
  }
  // Delete the category's first-party cookies named in the inventory; "_pk_id.*" names a prefix.
  function wipe(c) {
    document.cookie.split(";").forEach(function (p) {
      var name = p.split("=")[0].trim();
      var hit = c.cookies.some(function (k) {
        var n = k.name;
        return n.slice(-1) === "*" ? name.indexOf(n.slice(0, -1)) === 0 : name === n;
      });
      if (!hit) return;
      var parts = location.hostname.split(".");
      for (var i = 0; i <= parts.length; i++) {
        var d = i < parts.length ? "; domain=" + parts.slice(i).join(".") : "";
        document.cookie = name + "=; Max-Age=0; path=/" + d;
      }
    });
  }

  function save(ch, method) {
    return call("/records", { choices: ch, method: method })
      .then(function () { apply(ch, true); })
      .catch(function () { apply(all(false)); }) // no proof, no consent
      .then(close);
  }
  function picked() {
    var o = {};
    cats().forEach(function (c) { o[c.id] = box.querySelector("#cc-" + c.id).checked; });
    return o;
  }
  function given() {
    return cats().filter(function (c) { return now[c.id]; });
  }

  function open(settings) {
    if (box) return;
    back = document.activeElement;
    var gpc = (navigator.globalPrivacyControl === true || st.gpc) && cfg.gpc_honoured;
    var btn = function (key, fn, cls) { return h("button", { type: "button", class: cls || "cc-btn", text: t(key), onclick: fn }); };
    var panel = h("div", { class: "cc-panel", hidden: !settings }, [
      h("div", { class: "cc-row" }, [
        h("strong", { text: t("necessary_name") }),
        h("span", { class: "cc-on", text: t("always_on") }),
        h("p", { text: t("necessary_description") }),
      ]),
    ].concat(cats().map(function (c) {
      return h("div", { class: "cc-row" }, [
        h("label", { htmlFor: "cc-" + c.id }, [
          h("input", { type: "checkbox", role: "switch", id: "cc-" + c.id, checked: !!now[c.id] }),
          " " + c.name,
        ]),
        h("p", { text: c.description }),
        h("details", {}, [
          h("summary", { text: t("cookies") }),
          h("ul", {}, c.cookies.map(function (k) {
            return h("li", { text: k.name + " (" + k.provider + "): " + k.party + ". " + k.lifetime + "." });
          })),
        ]),
      ]);
    })).concat([btn("save", function () { save(picked(), "settings"); })]));
    var list = given();
    box = h("div", { class: "cc-box", role: "dialog", "aria-modal": "true", "aria-labelledby": "cc-t", "aria-describedby": "cc-d", lang: cfg.lang, tabIndex: -1 }, [
      h("h2", { id: "cc-t", text: t("title") }),
      h("p", { id: "cc-d", text: t("intro") }),
      h("ul", { class: "cc-purposes" }, cats().map(function (c) {
        return h("li", {}, [h("strong", { text: c.name + ": " }), c.description]);
      })),
      gpc ? h("p", { class: "cc-note", text: t("gpc") }) : null,
      st.kind ? h("p", { class: "cc-note", text: list.length ? t("status_consented").replace("{categories}", list.map(function (c) { return c.name; }).join(", ")) : t("status_refused") }) : null,
      panel,
      h("div", { class: "cc-btns" }, [
        btn("reject_all", function () { save(all(false), "banner"); }),
        btn("accept_all", function () { save(all(true), "banner"); }),
        // Opening the settings moves focus to the first switch, so a keyboard user lands where the choice is.
        btn("settings", function () {
          panel.hidden = !panel.hidden;
          var first = panel.hidden ? null : panel.querySelector("input");
          if (first) first.focus();
        }),
      ]),
      list.length ? btn("withdraw", function () { save(all(false), "settings"); }, "cc-btn cc-withdraw") : null,
      h("a", { href: (base === location.origin ? "" : base) + cfg.privacy_url, text: t("privacy") }),
    ]);
    box.addEventListener("keydown", keys);
    document.body.append(box);
    box.focus();
  }
  function close() {
    icon.hidden = false;
    if (!box) return;
    box.remove();
    box = null;
    (back && back.isConnected && back !== document.body ? back : icon).focus();
  }
  // Focus stays inside the open dialog; Escape closes it without consenting to anything.
  function keys(e) {
    if (e.key === "Escape") { e.preventDefault(); close(); return; }
    if (e.key !== "Tab") return;
    var f = Array.prototype.filter.call(box.querySelectorAll("button,input,a[href],summary"), function (x) {
      return x.offsetParent !== null;
    });
    var first = f[0], last = f[f.length - 1], at = document.activeElement;
    if (e.shiftKey && (at === first || at === box)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && at === last) { e.preventDefault(); first.focus(); }
  }

  function start(c, s) {
    cfg = c;
    st = s;
    document.head.append(h("link", { rel: "stylesheet", href: root + "/banner.css", nonce: nonce }));
    icon = h("button", { type: "button", class: "cc-icon cc-" + cfg.icon, "aria-label": t("icon"), title: t("icon"), "aria-haspopup": "dialog", hidden: true, onclick: function () { open(true); } });
    icon.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5z"/><circle cx="8" cy="11" r="1.4"/><circle cx="14" cy="15" r="1.4"/><circle cx="9" cy="16" r="1.1"/></svg>';
    document.body.append(icon);
    if (!cats().length) return;
    if (!s.ask) { apply(s.choices, true); icon.hidden = false; }
    else if ((navigator.globalPrivacyControl === true || s.gpc) && cfg.gpc_honoured) save(all(false), "gpc");
    else { apply(all(false)); open(false); }
  }
  Promise.all([call("/config?lang=" + lang), call("/state")]).then(function (r) {
    var go = function () { start(r[0], r[1]); };
    if (document.body) go();
    else document.addEventListener("DOMContentLoaded", go);
  });
})();
