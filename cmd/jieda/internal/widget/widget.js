/* jieda web widget (served by jieda at /widget.js). No dependencies, no
 * requests but to the jieda that served it. Usage:
 * <script src="https://jieda.example.com/widget.js" data-key="WIDGET_KEY" data-kb="shop" defer></script>
 */
(function () {
  "use strict";
  if (window.__jiedaWidget) return;
  window.__jiedaWidget = true;

  var script = document.currentScript || document.querySelector("script[data-key][src*='widget.js']");
  if (!script) return;
  var cfg = script.dataset;
  var key = cfg.key, kb = cfg.kb;
  if (!key || !kb) {
    if (window.console) console.warn("jieda widget: data-key and data-kb are required");
    return;
  }
  var api = (cfg.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var langAttr = (cfg.lang || document.documentElement.lang || navigator.language || "zh").toLowerCase();
  var lang = langAttr.indexOf("zh") === 0 ? "zh" : "en";

  var T = {
    zh: {
      title: "在线客服", open: "打开在线客服", close: "关闭", input: "输入您的问题", send: "发送",
      hello: "您好！请问有什么可以帮您？", thinking: "正在查找答案…", helpful: "有帮助", unhelpful: "没帮助",
      thanks: "谢谢您的反馈！", rate: "这个回答有帮助吗？", handoff: "已为您转接人工客服，客服会尽快联系您。",
      busy: "提问太频繁了，请稍后再试。", failed: "暂时无法回答，请稍后再试。", you: "您", bot: "客服"
    },
    en: {
      title: "Help", open: "Open the help chat", close: "Close", input: "Type your question", send: "Send",
      hello: "Hi! How can we help?", thinking: "Looking for an answer…", helpful: "Helpful", unhelpful: "Not helpful",
      thanks: "Thanks for your feedback!", rate: "Did this answer help?", handoff: "We've passed your question to our team; someone will get back to you soon.",
      busy: "Too many questions at once; please try again in a moment.", failed: "We can't answer right now; please try again later.", you: "You", bot: "Support"
    }
  }[lang];
  var title = cfg.title || T.title;
  var handoffText = cfg.handoff || T.handoff;

  // The conversation jieda issued, and the turns shown, survive page loads of this tab.
  var store = window.sessionStorage;
  var convKey = "jieda:" + kb + ":conversation", logKey = "jieda:" + kb + ":log";
  function load(k) { try { return store.getItem(k); } catch (e) { return null; } }
  function save(k, v) { try { store.setItem(k, v); } catch (e) { /* private mode: keep it in memory */ } }
  var conversation = load(convKey);
  var history = [];
  try { history = JSON.parse(load(logKey) || "[]"); } catch (e) { history = []; }

  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".w{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.5 system-ui,-apple-system,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;color:#1f2328}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:#1d5fd1;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}",
    ".launcher svg{width:28px;height:28px;fill:currentColor}",
    "button:focus-visible,textarea:focus-visible{outline:3px solid #f0a500;outline-offset:2px}",
    ".panel{position:absolute;right:0;bottom:70px;width:360px;height:520px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:#1d5fd1;color:#fff}",
    "h2{margin:0;font-size:16px;font-weight:600}",
    ".x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;width:36px;height:36px;border-radius:6px;cursor:pointer}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f5f7fa}",
    ".m{max-width:85%;margin:6px 0;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}",
    ".me{margin-left:auto;background:#1d5fd1;color:#fff;border-bottom-right-radius:4px}",
    ".bot{background:#fff;border:1px solid #dde2e8;border-bottom-left-radius:4px}",
    ".note{color:#57606a;font-size:13px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".opts{display:flex;flex-direction:column;gap:6px;margin-top:8px}",
    ".opt{text-align:left;padding:8px 10px;border:1px solid #1d5fd1;border-radius:8px;background:#fff;color:#1d5fd1;font:inherit;cursor:pointer;min-height:40px}",
    ".opt:disabled{opacity:.55;cursor:default}",
    ".rate{display:flex;align-items:center;gap:6px;margin-top:6px;font-size:13px;color:#57606a;flex-wrap:wrap}",
    ".rate button{padding:4px 10px;border:1px solid #c5ccd3;border-radius:14px;background:#fff;font:inherit;font-size:13px;cursor:pointer;min-height:32px;color:#1f2328}",
    ".rate button[aria-pressed=true]{background:#e7f0ff;border-color:#1d5fd1;color:#1d5fd1}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #dde2e8;background:#fff}",
    "textarea{flex:1;resize:none;height:42px;max-height:120px;padding:9px 10px;border:1px solid #c5ccd3;border-radius:8px;font:inherit;font-size:16px;color:#1f2328}",
    ".send{padding:0 16px;border:0;border-radius:8px;background:#1d5fd1;color:#fff;font:inherit;cursor:pointer;min-height:42px}",
    ".send:disabled{background:#8fa9d8;cursor:default}",
    "@media (max-width:480px){.w{right:12px;bottom:12px}.panel{position:fixed;inset:0;width:auto;height:auto;max-height:none;border-radius:0;padding-bottom:env(safe-area-inset-bottom)}.open .launcher{display:none}}",
    "@media (prefers-reduced-motion:no-preference){.m{animation:in .15s ease-out}@keyframes in{from{opacity:0;transform:translateY(4px)}}}"
  ].join("\n");

  var host = document.createElement("div");
  host.id = "jieda-widget";
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = css;
  root.appendChild(style);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "class") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    if (text != null) e.textContent = text;
    return e;
  }

  var wrap = el("div", { "class": "w", lang: lang === "zh" ? "zh-CN" : "en" });
  var launcher = el("button", { "class": "launcher", type: "button", "aria-label": T.open, "aria-expanded": "false", "aria-controls": "jieda-panel" });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
  var panel = el("div", { "class": "panel", id: "jieda-panel", role: "dialog", "aria-labelledby": "jieda-title", hidden: "" });
  var header = el("header");
  header.appendChild(el("h2", { id: "jieda-title" }, title));
  var closeBtn = el("button", { "class": "x", type: "button", "aria-label": T.close }, "×");
  header.appendChild(closeBtn);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  var form = el("form");
  var inputId = "jieda-input";
  form.appendChild(el("label", { "class": "sr", "for": inputId }, T.input));
  var input = el("textarea", { id: inputId, rows: "1", placeholder: T.input, maxlength: "500", enterkeyhint: "send" });
  var send = el("button", { "class": "send", type: "submit" }, T.send);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

  function scroll() { log.scrollTop = log.scrollHeight; }

  function remember(entry) {
    history.push(entry);
    if (history.length > 40) history = history.slice(-40);
    save(logKey, JSON.stringify(history));
  }

  function bubble(who, text, cls) {
    var m = el("div", { "class": "m " + (who === "me" ? "me" : "bot") + (cls ? " " + cls : "") });
    m.appendChild(el("span", { "class": "sr" }, (who === "me" ? T.you : T.bot) + ": "));
    m.appendChild(document.createTextNode(text));
    log.appendChild(m);
    scroll();
    return m;
  }

  // render shows one remembered entry; live entries get working controls.
  function render(entry, live) {
    if (entry.who === "me") return bubble("me", entry.text);
    var m = bubble("bot", entry.text, entry.note ? "note" : "");
    if (entry.options) {
      var opts = el("div", { "class": "opts", role: "group", "aria-label": entry.text });
      entry.options.forEach(function (q, i) {
        var b = el("button", { "class": "opt", type: "button" }, (i + 1) + ". " + q);
        b.disabled = !live;
        b.addEventListener("click", function () {
          Array.prototype.forEach.call(opts.querySelectorAll("button"), function (x) { x.disabled = true; });
          ask(q);
        });
        opts.appendChild(b);
      });
      m.appendChild(opts);
    }
    if (entry.answerId && live) {
      var rate = el("div", { "class": "rate", role: "group", "aria-label": T.rate });
      rate.appendChild(el("span", null, T.rate));
      [[true, T.helpful], [false, T.unhelpful]].forEach(function (p) {
        var b = el("button", { type: "button", "aria-pressed": "false" }, p[1]);
        b.addEventListener("click", function () { feedback(entry.answerId, p[0], b, rate); });
        rate.appendChild(b);
      });
      m.appendChild(rate);
    }
    scroll();
    return m;
  }

  function call(path, body) {
    return fetch(api + path, {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { var e = new Error((j.error && j.error.message) || r.status); e.status = r.status; throw e; }
        return j;
      });
    });
  }

  var pending = false;
  function ask(q) {
    q = (q || "").trim();
    if (!q || pending) return;
    pending = true;
    send.disabled = true;
    var me = { who: "me", text: q };
    remember(me);
    render(me, true);
    var wait = bubble("bot", T.thinking, "note");
    log.setAttribute("aria-busy", "true");
    var body = { kb: kb, question: q, locale: lang === "zh" ? "zh-CN" : "en" };
    if (conversation) body.conversation = { id: conversation };
    call("/v1/ask", body).then(function (r) {
      if (r.conversation_id) { conversation = r.conversation_id; save(convKey, conversation); }
      var entry;
      if (r.decision === "answer" && r.answer) entry = { who: "bot", text: r.answer.answer, answerId: r.answer_id };
      else if (r.decision === "clarify") entry = { who: "bot", text: r.clarify_prompt, options: (r.clarify || []).map(function (o) { return o.question; }) };
      else entry = { who: "bot", text: handoffText, handoff: true };
      return entry;
    }, function (e) {
      return { who: "bot", text: e.status === 429 ? T.busy : T.failed, note: true, error: true };
    }).then(function (entry) {
      wait.remove();
      log.removeAttribute("aria-busy");
      if (!entry.error) remember(entry);
      render(entry, true);
      pending = false;
      send.disabled = false;
    });
  }

  function feedback(answerId, helpful, button, group) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (x) {
      x.setAttribute("aria-pressed", x === button ? "true" : "false");
    });
    call("/v1/feedback", { answer_id: answerId, helpful: helpful }).then(function () {
      var old = group.querySelector(".thanks");
      if (!old) group.appendChild(el("span", { "class": "thanks", role: "status" }, T.thanks));
    }, function () { /* the verdict is a courtesy: a failure is not worth an error */ });
  }

  function open() {
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    if (!log.childNodes.length) {
      bubble("bot", T.hello);
      history.forEach(function (h) { render(h, false); });
    }
    scroll();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener("click", close);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value;
    input.value = "";
    ask(q);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit ? form.requestSubmit() : send.click(); }
  });
  // Escape closes; Tab stays inside the open panel.
  panel.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); close(); return; }
    if (ev.key !== "Tab") return;
    var f = Array.prototype.filter.call(panel.querySelectorAll("button,textarea"), function (x) { return !x.disabled && x.offsetParent !== null; });
    if (!f.length) return;
    var first = f[0], last = f[f.length - 1], active = root.activeElement;
    if (ev.shiftKey && active === first) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && active === last) { ev.preventDefault(); first.focus(); }
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
