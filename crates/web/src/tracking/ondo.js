/* Ondo tracking snippet: page views, document downloads and the visitor behind an Ondo
   form or a tracked email link, kept first-party on this site. Configured by its script
   tag: data-site (the site key) and data-consent="required" (send nothing and set no
   cookie until the page calls ondo('consent', true)). */
(function (w, d) {
  'use strict';
  if (w.__ondo) return;
  var me = d.currentScript || d.querySelector('script[src*="/t/ondo.js"][data-site]');
  if (!me) return;
  w.__ondo = true;
  var site = me.getAttribute('data-site') || '';
  var base = me.src.replace(/\/t\/ondo\.js(?:[?#].*)?$/, '');
  var COOKIE = '_ondo_vid';
  var MAX_AGE = 60 * 60 * 24 * 396; /* about 13 months */
  var DOCS = /\.(pdf|pptx?|docx?|xlsx?|zip|csv|key|odp|odt|ods)$/i;
  var allowed = me.getAttribute('data-consent') !== 'required';
  var vid = null;
  var viewed = false;
  var token = null;

  /* An identify token from a tracked email link: kept in memory only, and taken out of
     the address bar so it is neither bookmarked nor shared. */
  try {
    var here = new URL(w.location.href);
    token = here.searchParams.get('ondo_id');
    if (token !== null) {
      here.searchParams.delete('ondo_id');
      w.history.replaceState(w.history.state, '', here.toString());
    }
  } catch (e) { token = null; }

  function readCookie() {
    var m = d.cookie.match(/(?:^|;\s*)_ondo_vid=([A-Za-z0-9_-]{16,64})/);
    return m ? m[1] : null;
  }
  function writeCookie(v) {
    d.cookie = COOKIE + '=' + v + '; Max-Age=' + MAX_AGE + '; Path=/; SameSite=Lax' +
      (w.location.protocol === 'https:' ? '; Secure' : '');
  }
  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    w.crypto.getRandomValues(a);
    var s = '';
    for (var i = 0; i < a.length; i++) s += (a[i] < 16 ? '0' : '') + a[i].toString(16);
    return s;
  }
  function visitor() {
    if (!vid) {
      vid = readCookie() || randomId(16);
      writeCookie(vid);
    }
    return vid;
  }

  /* At most 300 characters, cut between characters, never inside one. */
  function title() { return Array.from(d.title).slice(0, 300).join(''); }

  function send(ev) {
    if (!allowed || !site) return;
    ev.site = site;
    ev.vid = visitor();
    ev.id = randomId(12);
    ev.url = w.location.href;
    var body = JSON.stringify(ev);
    var to = base + '/t/collect';
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(to, body)) return;
    } catch (e) { /* fall through to fetch */ }
    try {
      w.fetch(to, { method: 'POST', body: body, keepalive: true, mode: 'no-cors',
        credentials: 'omit', headers: { 'Content-Type': 'text/plain' } });
    } catch (e) { /* nothing more to try */ }
  }

  function pageView() {
    if (viewed || !allowed) return;
    viewed = true;
    var ev = { type: 'page_view', title: title(), referrer: d.referrer.length > 2000 ? '' : d.referrer };
    if (token) { ev.identify = token; token = null; }
    send(ev);
  }

  /* Ondo forms on this page carry the visitor id, so a submission names the visitor. */
  function markForms() {
    if (!allowed) return;
    var v = visitor();
    var forms = d.querySelectorAll('form[action^="' + base + '/f/"]');
    for (var i = 0; i < forms.length; i++) {
      var input = forms[i].querySelector('input[name="ondo_vid"]');
      if (!input) {
        input = d.createElement('input');
        input.type = 'hidden';
        input.name = 'ondo_vid';
        forms[i].appendChild(input);
      }
      input.value = v;
    }
    var frames = d.querySelectorAll('iframe[src^="' + base + '/f/"]');
    for (var j = 0; j < frames.length; j++) {
      var src = frames[j].getAttribute('src');
      if (src.indexOf('ondo_vid=') < 0) {
        frames[j].setAttribute('src', src + (src.indexOf('?') < 0 ? '?' : '&') + 'ondo_vid=' + v);
      }
    }
  }

  function unmarkForms() {
    var inputs = d.querySelectorAll('input[name="ondo_vid"]');
    for (var i = 0; i < inputs.length; i++) inputs[i].value = '';
    var frames = d.querySelectorAll('iframe[src*="ondo_vid="]');
    for (var j = 0; j < frames.length; j++) {
      var src = frames[j].getAttribute('src');
      frames[j].setAttribute('src', src.replace(/([?&])ondo_vid=[^&#]*&?/, '$1').replace(/[?&](#|$)/, '$1'));
    }
  }

  function start() {
    pageView();
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', markForms);
    else markForms();
  }

  d.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[href]') : null;
    if (a && /^https?:$/.test(a.protocol) && DOCS.test(a.pathname)) {
      send({ type: 'download', target: a.href, title: title() });
    }
  }, true);

  function ondo(command, value) {
    if (command === 'consent') {
      if (value) {
        if (!allowed) { allowed = true; start(); }
      } else {
        allowed = false;
        vid = null;
        token = null;
        d.cookie = COOKIE + '=; Max-Age=0; Path=/; SameSite=Lax';
        unmarkForms();
      }
    } else if (command === 'page') {
      /* A single-page application moved to another page. */
      viewed = false;
      pageView();
    }
  }

  var queued = (w.ondo && w.ondo.q) || [];
  w.ondo = ondo;
  if (allowed) start();
  for (var k = 0; k < queued.length; k++) ondo.apply(null, queued[k]);
})(window, document);
