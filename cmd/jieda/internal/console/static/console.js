// jieda console: live queue updates, suggestions into the reply box,
// copy buttons, the embeddable suggestions page, editors' shortcuts.
// Every page works without it; it only saves clicks and reloads.
(function () {
  'use strict';
  var body = document.body;
  var csrf = body.getAttribute('data-csrf');

  // htmx requests carry the session's CSRF token.
  document.addEventListener('htmx:configRequest', function (e) {
    if (csrf) { e.detail.headers['X-CSRF-Token'] = csrf; }
  });

  // The queue reloads its rows when a handoff arrives, is taken or is
  // resolved (server-sent events), and after a reconnect.
  function updateTitle() {
    var c = document.getElementById('queue-count');
    if (!c) { return; }
    var n = parseInt(c.getAttribute('data-count') || '0', 10);
    document.title = (n > 0 ? '(' + n + ') ' : '') + body.getAttribute('data-title');
  }
  document.addEventListener('htmx:afterSwap', updateTitle);
  var queue = document.getElementById('queue');
  if (queue && window.EventSource && window.htmx) {
    var timer = null;
    var refresh = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { window.htmx.trigger(body, 'jieda:refresh'); }, 100);
    };
    var opened = false;
    var es = new EventSource('/console/events');
    es.addEventListener('open', function () { if (opened) { refresh(); } opened = true; body.setAttribute('data-live', 'on'); });
    es.addEventListener('handoff', refresh);
  }

  // Copying text: the clipboard API where allowed, else a hidden textarea.
  function fallbackCopy(text) {
    var t = document.createElement('textarea');
    t.value = text;
    t.setAttribute('readonly', '');
    t.className = 'offscreen';
    body.appendChild(t);
    t.select();
    try { document.execCommand('copy'); } catch (err) { /* nothing more to try */ }
    t.remove();
  }
  function copyText(text, btn) {
    var done = function () {
      var old = btn.getAttribute('data-label') || btn.textContent;
      btn.setAttribute('data-label', old);
      btn.textContent = btn.getAttribute('data-done');
      btn.classList.add('done');
      setTimeout(function () { btn.textContent = old; btn.classList.remove('done'); }, 2500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  document.addEventListener('click', function (e) {
    var use = e.target.closest('a[data-use]');
    var reply = use && document.getElementById(use.getAttribute('data-target') || 'reply');
    if (use && reply) {
      // A suggestion goes into the reply box, where the agent edits it.
      e.preventDefault();
      reply.value = use.getAttribute('data-answer');
      var source = document.getElementById('source');
      if (source && !use.getAttribute('data-target')) { source.value = use.getAttribute('data-use'); }
      reply.focus();
      reply.setSelectionRange(reply.value.length, reply.value.length);
      reply.scrollIntoView({ block: 'center' });
      return;
    }
    var focus = e.target.closest('a[data-focus]');
    var box = focus && document.getElementById(focus.getAttribute('data-focus'));
    if (box) {
      // "Edit" on jieda's suggestion: into the prefilled reply box, caret at the end.
      e.preventDefault();
      box.focus();
      if (box.setSelectionRange) { box.setSelectionRange(box.value.length, box.value.length); }
      box.scrollIntoView({ block: 'center' });
      return;
    }
    var copy = e.target.closest('button[data-copy]');
    if (copy) { copyText(copy.getAttribute('data-copy'), copy); }
  });

  // The review queue's keyboard: j/k move between cards, a approves, e
  // opens the editor, r goes to the reject reason, x selects for bulk.
  var cards = document.querySelectorAll('[data-card]');
  if (cards.length) {
    var at = -1;
    var focusCard = function (i) {
      at = Math.max(0, Math.min(cards.length - 1, i));
      cards[at].focus();
      cards[at].scrollIntoView({ block: 'nearest' });
    };
    document.addEventListener('keydown', function (e) {
      var tag = (e.target.tagName || '').toLowerCase();
      if (e.ctrlKey || e.metaKey || e.altKey || tag === 'input' || tag === 'textarea' || tag === 'select') { return; }
      var card = at >= 0 ? cards[at] : null;
      var hit = function (sel) { var el = card && card.querySelector(sel); if (el) { e.preventDefault(); return el; } return null; };
      var el;
      switch (e.key) {
        case 'j': e.preventDefault(); focusCard(at + 1); break;
        case 'k': e.preventDefault(); focusCard(at - 1); break;
        case 'a': if ((el = hit('[data-approve]'))) { el.click(); } break;
        case 'e': if ((el = hit('[data-edit]'))) { el.click(); } break;
        case 'r': if ((el = hit('[data-reason]'))) { el.focus(); } break;
        case 'x': if ((el = hit('[data-select]'))) { el.checked = !el.checked; } break;
      }
    });
  }

  // The embeddable page: a question from ?q=, the form or the host's
  // postMessage; suggestions from GET /v1/search with the key in #key=.
  var embed = document.getElementById('embed');
  if (embed) {
    var d = function (name) { return embed.getAttribute('data-' + name) || ''; };
    var key = new URLSearchParams(location.hash.slice(1)).get('key') || '';
    var kb = d('kb');
    var status = document.getElementById('embed-status');
    var list = document.getElementById('embed-results');
    var qin = document.getElementById('embed-q');
    var decode = function (s) { var t = document.createElement('textarea'); t.innerHTML = s; return t.value; };
    // highlighted builds a node from the API's highlight: escaped text with <mark> tags only.
    var highlighted = function (h) {
      var p = document.createElement('p');
      p.className = 'sq';
      h.split(/(<mark>|<\/mark>)/).reduce(function (inMark, part) {
        if (part === '<mark>') { return true; }
        if (part === '</mark>') { return false; }
        if (part) {
          var n = document.createTextNode(decode(part));
          if (inMark) { var m = document.createElement('mark'); m.appendChild(n); n = m; }
          p.appendChild(n);
        }
        return inMark;
      }, false);
      return p;
    };
    var render = function (data) {
      list.textContent = '';
      var hits = data.results || [];
      status.textContent = hits.length ? '' : d('t-none');
      hits.forEach(function (h) {
        var li = document.createElement('li');
        li.className = 'result';
        li.appendChild(highlighted(h.highlight || ''));
        var a = document.createElement('p');
        a.className = 'answer';
        a.textContent = h.answer;
        li.appendChild(a);
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'copy';
        b.textContent = d('t-copy');
        b.setAttribute('data-copy', h.answer);
        b.setAttribute('data-done', d('t-copied'));
        li.appendChild(b);
        list.appendChild(li);
      });
    };
    var ask = function (q) {
      q = (q || '').trim();
      qin.value = q;
      if (!q) { status.textContent = d('t-waiting'); list.textContent = ''; return; }
      if (!key) { status.textContent = d('t-nokey'); return; }
      status.textContent = d('t-searching');
      fetch('/v1/search?limit=5&kb=' + encodeURIComponent(kb) + '&q=' + encodeURIComponent(q), { headers: { Authorization: 'Bearer ' + key } })
        .then(function (resp) {
          if (resp.status === 401 || resp.status === 403) { throw new Error(d('t-badkey')); }
          if (!resp.ok) { throw new Error(d('t-error')); }
          return resp.json();
        })
        .then(render)
        .catch(function (err) { status.textContent = err.message; list.textContent = ''; });
    };
    document.getElementById('embed-form').addEventListener('submit', function (e) { e.preventDefault(); ask(qin.value); });
    window.addEventListener('message', function (e) {
      var m = e.data;
      if (typeof m === 'string') { try { m = JSON.parse(m); } catch (err) { return; } }
      if (!m || typeof m !== 'object') { return; }
      if (m.type === 'jieda:question') { if (m.kb) { kb = m.kb; } ask(m.question); return; }
      if (m.event === 'appContext' && m.data && m.data.conversation) { // a Chatwoot Dashboard App
        var msgs = m.data.conversation.messages || [];
        for (var i = msgs.length - 1; i >= 0; i--) {
          if (msgs[i].message_type === 0 && msgs[i].content) { ask(msgs[i].content); return; }
        }
      }
    });
    if (window.parent !== window) { window.parent.postMessage('chatwoot-dashboard-app:fetch-info', '*'); }
    ask(d('q'));
  }
}());
