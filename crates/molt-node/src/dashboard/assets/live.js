// Live updates for the Molt dashboard: one WebSocket subscription to the
// node's committed blocks (molt_subscribeBlocks, on this same port); after
// each block the page's <main> is fetched again and swapped in, at most
// once a second. Pages whose <main> has data-live="off" (forms) are left
// alone. Nothing is fetched from anywhere but this node.
(function () {
  "use strict";
  var main = document.querySelector("main");
  var badge = document.getElementById("live");
  if (!main || !("WebSocket" in window)) return;
  var busy = false, again = false, last = 0;
  function say(text, ok) {
    if (!badge) return;
    badge.textContent = text;
    badge.className = ok ? "live on" : "live off";
  }
  function refresh() {
    if (main.getAttribute("data-live") === "off") return;
    if (busy) { again = true; return; }
    var wait = 1000 - (Date.now() - last);
    if (wait > 0) { busy = true; setTimeout(function () { busy = false; refresh(); }, wait); return; }
    busy = true; last = Date.now();
    fetch(location.href, { cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.querySelector("main");
        if (fresh) { main.innerHTML = fresh.innerHTML; }
        var head = doc.getElementById("head");
        var mine = document.getElementById("head");
        if (head && mine) { mine.textContent = head.textContent; }
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/");
    ws.onopen = function () {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "molt_subscribeBlocks", params: [] }));
    };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.id === 1 && msg.result !== undefined) { say("live", true); return; }
      if (msg.method === "molt_block" && msg.params && msg.params.result) {
        var h = msg.params.result.height;
        var mine = document.getElementById("head");
        if (mine && h !== undefined) { mine.textContent = "height " + h; }
        refresh();
      }
    };
    ws.onclose = function () { say("reconnecting", false); setTimeout(connect, 2000); };
  }
  connect();
})();
