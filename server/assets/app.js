// hazardsnap 隐患随手拍 — the officers' pages' one script, served from the binary (the
// Content-Security-Policy allows no inline script). Everything works without it; it adds the
// photo lightbox, the review inbox's keyboard shortcuts, confirmation of irreversible steps,
// the print button, and the training form's drill-only fields shown for a drill alone.
(function () {
  "use strict";

  // Lightbox: any image with data-full opens full size; Escape or a click closes it.
  var box = null;
  function openBox(src, alt) {
    if (!box) {
      box = document.createElement("div");
      box.className = "lightbox";
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-modal", "true");
      var img = document.createElement("img");
      var close = document.createElement("button");
      close.className = "close";
      close.type = "button";
      close.textContent = document.documentElement.lang === "en" ? "Close" : "关闭";
      box.appendChild(img);
      box.appendChild(close);
      box.addEventListener("click", function () { box.classList.remove("open"); });
      document.body.appendChild(box);
    }
    var im = box.querySelector("img");
    im.src = src;
    im.alt = alt || "";
    box.classList.add("open");
    box.querySelector(".close").focus();
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("img[data-full]")) {
      e.preventDefault();
      openBox(t.getAttribute("data-full"), t.getAttribute("alt"));
    }
    if (t && t.matches && t.matches("[data-print]")) {
      e.preventDefault();
      window.print();
    }
  });

  // Irreversible steps ask first.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var q = f && f.getAttribute && f.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      e.preventDefault();
    }
  });

  // Review inbox: j / k move, Enter opens, c and r open the entry at its confirm or reject form.
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-inbox-item]"));
  var current = 0;
  function focusItem(i) {
    if (!items.length) { return; }
    current = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (el, k) { el.classList.toggle("current", k === current); });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    if (box && box.classList.contains("open") && e.key === "Escape") {
      box.classList.remove("open");
      return;
    }
    if (!items.length || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    var href = items[current] && items[current].getAttribute("data-href");
    if (e.key === "j") { focusItem(current + 1); e.preventDefault(); }
    else if (e.key === "k") { focusItem(current - 1); e.preventDefault(); }
    else if (e.key === "Enter" && href) { window.location.href = href; }
    else if (e.key === "c" && href) { window.location.href = href + "#confirm"; }
    else if (e.key === "r" && href) { window.location.href = href + "#reject"; }
  });
  if (items.length) { focusItem(0); }

  // On a phone the navigation is one row that scrolls sideways: show the current item.
  var nav = document.querySelector(".top nav");
  var here = nav && nav.querySelector("a[aria-current=page]");
  if (here && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = Math.max(0, here.offsetLeft - nav.offsetLeft - 16);
  }

  // The training form: the drill-only fields (scenario, teams, findings) show, and are sent,
  // only when the kind is a drill. Without the script they stay visible and the rules decide.
  var kind = document.querySelector("[data-kind-switch]");
  var drillOnly = document.querySelector("[data-drill-only]");
  if (kind && drillOnly) {
    var syncKind = function () {
      var drill = kind.value === "drill";
      drillOnly.hidden = !drill;
      drillOnly.disabled = !drill;
    };
    kind.addEventListener("change", syncKind);
    syncKind();
  }

  // An action named in the address (#confirm, #reject…) opens its form.
  if (location.hash) {
    var d = document.getElementById(location.hash.slice(1));
    if (d && d.tagName === "DETAILS") {
      d.open = true;
      var first = d.querySelector("input:not([type=hidden]), textarea, select, button");
      if (first) { first.focus(); }
    }
  }
})();
