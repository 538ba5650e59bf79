/*!
 * yinsi-consent.js — consent on the device side for H5 pages (W12, X40, W10).
 * Shipped with yinsi, served at /static/yinsi-consent.js; no dependencies, no build step.
 *
 * An H5 page loads this file first. It asks the app's back-end for the user's SDK
 * manifest (yinsi: GET /v1/apps/{app}/subjects/{subject}/sdk-manifest), then loads each
 * third-party script, pixel or frame only if its SDK is in the manifest with
 * `may_initialise: true`. Nothing is loaded before the answer, nothing when the answer
 * cannot be had (fail closed), nothing for an SDK the manifest does not name.
 *
 * A browser cannot hold yinsi's API key: the app's back-end proxies the manifest for its
 * logged-in user (from its own session), and proxies telemetry to
 * POST /v1/apps/{app}/permission-events:check, filling in `subject_id`. See
 * docs/h5-and-native.md.
 *
 * Setup (no inline script needed, works under `script-src 'self'`):
 *
 *   <script src="/static/yinsi-consent.js"
 *           data-manifest-url="/api/yinsi/sdk-manifest"
 *           data-telemetry-url="/api/yinsi/permission-events"
 *           data-stage="申请借款（进件）"></script>
 *   or, manifest rendered into the page by the back-end:
 *   <script type="application/json" id="yinsi-manifest">[…the API's answer…]</script>
 *
 * Gated tags (not run by the browser until the library activates them):
 *
 *   <script type="text/plain" data-yinsi-sdk="baidu_location"
 *           data-src="https://api.map.example/loc.js"
 *           data-yinsi-cookies="_loc_id"             (cookies it sets: expired when not allowed)
 *           data-yinsi-permission="location" data-yinsi-scenario="location"></script>
 *   <img data-yinsi-sdk="baidu_analytics" data-src="https://hm.example/hm.gif" alt="">
 *   <iframe data-yinsi-sdk="…" data-src="…"></iframe>
 *   <script type="text/plain" data-yinsi-sdk="…" nonce="…">inline code</script>
 *
 * JavaScript API (window.yinsi):
 *
 *   yinsi.start(config)               start by hand: {manifestUrl | manifest, telemetryUrl,
 *                                     stage, flowId, subjectId, credentials, recheckOnShow}
 *   yinsi.ready                       Promise of the first check (true: manifest applied)
 *   yinsi.allowed(sdk)                may the SDK run now
 *   yinsi.mayReceive(sdk, element)    may the SDK receive this element (gated apart)
 *   yinsi.load(sdk, src, options)     declare a tag from JS; Promise<boolean> loaded now
 *   yinsi.whenAllowed(sdk, fn)        run fn once the SDK is allowed (now or after a grant)
 *   yinsi.recheck()                   fetch the manifest again (single-page apps)
 *   yinsi.onChange(fn)                fn({granted: [...], withdrawn: [...]}) after a recheck
 *   yinsi.onViolation(fn)             fn(violations) answered by the telemetry check
 *   yinsi.reportUse({permission, scenario, stage, sdk})   permission telemetry (W10)
 *   yinsi.scan()                      activate gated tags added to the page later
 *
 * Withdrawal: the next page load requests nothing of a withdrawn SDK and expires the
 * cookies its tags declare. Within a page, recheck() (also run when the page is shown
 * again, e.g. after the app resumes or a back/forward restore) removes the tags it
 * inserted, expires their cookies and calls onChange, so the app can stop the SDK at once
 * (code that already ran cannot be unloaded by a library).
 *
 * The library never writes to the console anything but fixed messages: no subject id,
 * no manifest content, no PI.
 */
(function (global) {
  'use strict';

  const doc = global.document;
  const own = doc.currentScript;
  const PREFIX = '[yinsi] ';

  const state = {
    config: null,
    entries: new Map(),      // sdk id -> manifest entry
    checked: false,          // a manifest was applied
    suspended: false,        // the last recheck failed: load nothing new until one succeeds
    tags: [],                // declarations: {sdk, kind, src, el, cookies, use, attrs, done}
    inserted: new Map(),     // sdk id -> elements inserted or activated
    waiting: [],             // {sdk, fn} for whenAllowed
    changeListeners: [],
    violationListeners: [],
    events: [],
    sending: new Set(),      // telemetry sends not answered yet
    flushTimer: null,
  };
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });

  // ---------------------------------------------------------------- manifest

  function entriesOf(data) {
    const list = Array.isArray(data) ? data : (data && Array.isArray(data.sdks) ? data.sdks : null);
    if (!list) throw new Error('manifest');
    const found = new Map();
    for (const e of list) {
      if (!e || typeof e.id !== 'string' || typeof e.may_initialise !== 'boolean') {
        throw new Error('manifest entry');
      }
      found.set(e.id, e);
    }
    return found;
  }

  function inlineManifest(config) {
    if (config.manifest) return config.manifest;
    const el = doc.querySelector(config.manifestSelector || '#yinsi-manifest');
    return el ? JSON.parse(el.textContent) : null;
  }

  async function fetchManifest(config) {
    const response = await global.fetch(config.manifestUrl, {
      credentials: config.credentials || 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) throw new Error('manifest status');
    return response.json();
  }

  async function check(useInline) {
    const config = state.config;
    const inline = useInline ? inlineManifest(config) : null;
    const data = inline || (config.manifestUrl ? await fetchManifest(config) : null);
    if (!data) throw new Error('no manifest');
    return entriesOf(data);
  }

  function granted(entries, sdk) {
    const e = entries.get(sdk);
    return Boolean(e && e.may_initialise === true);
  }

  function allowed(sdk) {
    return state.checked && !state.suspended && granted(state.entries, sdk);
  }

  function mayReceive(sdk, element) {
    if (!allowed(sdk)) return false;
    const gates = state.entries.get(sdk).elements || [];
    const gate = gates.find((g) => g.element === element);
    return Boolean(gate && gate.may_receive === true);
  }

  // ---------------------------------------------------------------- tags

  function data(el, name) {
    const v = el.getAttribute('data-' + name);
    return v === null || v === '' ? null : v;
  }

  function declarationOf(el) {
    const tag = el.tagName.toLowerCase();
    const src = data(el, 'src');
    const kind = tag === 'script' ? (src ? 'script' : 'inline') : tag;
    const permission = data(el, 'yinsi-permission');
    return {
      sdk: data(el, 'yinsi-sdk'),
      kind: kind,
      src: src,
      el: el,
      cookies: (data(el, 'yinsi-cookies') || '').split(',').map((c) => c.trim()).filter(Boolean),
      use: permission ? {
        permission: permission,
        scenario: data(el, 'yinsi-scenario') || permission,
        stage: data(el, 'yinsi-stage'),
      } : null,
      attrs: {},
      done: false,
    };
  }

  function scan() {
    for (const el of doc.querySelectorAll('[data-yinsi-sdk]')) {
      if (el.__yinsi) continue;
      el.__yinsi = true;
      state.tags.push(declarationOf(el));
    }
    if (state.checked) apply();
  }

  function expireCookies(names) {
    for (const name of names) {
      doc.cookie = encodeURIComponent(name) + '=; Max-Age=0; path=/';
    }
  }

  function activate(t) {
    let made = null;
    if (t.kind === 'script' || t.kind === 'inline') {
      made = doc.createElement('script');
      const from = t.el;
      if (from) {
        for (const a of from.attributes) {
          if (a.name !== 'type' && !a.name.startsWith('data-')) made.setAttribute(a.name, a.value);
        }
        if (from.nonce) made.nonce = from.nonce;
      }
      for (const [k, v] of Object.entries(t.attrs)) made.setAttribute(k, v);
      if (t.kind === 'script') {
        made.src = t.src;
        made.async = true;
      } else {
        made.textContent = from.textContent;
      }
      if (t.onload) made.addEventListener('load', t.onload);
      const parent = from && from.parentNode ? from.parentNode : (doc.head || doc.documentElement);
      parent.insertBefore(made, from ? from.nextSibling : null);
    } else if (t.kind === 'img' || t.kind === 'iframe') {
      made = t.el || doc.body.appendChild(doc.createElement(t.kind));
      made.setAttribute('src', t.src);
    }
    if (t.el) t.el.setAttribute('data-yinsi-state', 'loaded');
    if (!state.inserted.has(t.sdk)) state.inserted.set(t.sdk, []);
    if (made) state.inserted.get(t.sdk).push({ el: made, tag: t });
    t.done = true;
    if (t.use) reportUse(Object.assign({ sdk: t.sdk }, t.use));
  }

  function apply() {
    for (const t of state.tags) {
      if (t.done) continue;
      if (allowed(t.sdk)) {
        activate(t);
      } else {
        if (t.el) t.el.setAttribute('data-yinsi-state', 'blocked');
        expireCookies(t.cookies);
      }
    }
    const still = [];
    for (const w of state.waiting) {
      if (allowed(w.sdk)) w.fn(state.entries.get(w.sdk)); else still.push(w);
    }
    state.waiting = still;
  }

  function stop(sdk) {
    for (const { el, tag } of state.inserted.get(sdk) || []) {
      if (el.tagName.toLowerCase() === 'script') el.remove(); else el.removeAttribute('src');
      tag.done = false;
      if (tag.el) tag.el.setAttribute('data-yinsi-state', 'blocked');
      expireCookies(tag.cookies);
    }
    state.inserted.delete(sdk);
  }

  function load(sdk, src, options) {
    const opts = options || {};
    const t = {
      sdk: sdk,
      kind: opts.kind || 'script',
      src: src,
      el: null,
      cookies: opts.cookies || [],
      use: opts.permission ? {
        permission: opts.permission,
        scenario: opts.scenario || opts.permission,
        stage: opts.stage || null,
      } : null,
      attrs: opts.attrs || {},
      onload: opts.onload || null,
      done: false,
    };
    state.tags.push(t);
    return ready.then(() => {
      if (!t.done && allowed(sdk)) activate(t);
      if (!t.done) expireCookies(t.cookies);
      return t.done;
    });
  }

  function whenAllowed(sdk, fn) {
    if (allowed(sdk)) fn(state.entries.get(sdk)); else state.waiting.push({ sdk: sdk, fn: fn });
  }

  // ---------------------------------------------------------------- rechecks

  async function recheck() {
    if (!state.config || !state.config.manifestUrl) return false;  // inline: the page is the check
    const before = new Set([...state.entries.keys()].filter((s) => granted(state.entries, s)));
    let found;
    try {
      found = await check(false);
    } catch (e) {
      global.console.warn(PREFIX + '无法重新获取SDK清单：不再加载新的受控SDK');
      state.suspended = true;
      return false;
    }
    state.entries = found;
    state.checked = true;
    state.suspended = false;
    const now = new Set([...found.keys()].filter((s) => granted(found, s)));
    const added = [...now].filter((s) => !before.has(s));
    const withdrawn = [...before].filter((s) => !now.has(s));
    for (const sdk of withdrawn) stop(sdk);
    apply();
    if (added.length || withdrawn.length) {
      for (const fn of state.changeListeners) fn({ granted: added, withdrawn: withdrawn });
    }
    return true;
  }

  // ---------------------------------------------------------------- telemetry (W10)

  function flowId(config) {
    if (config.flowId) return config.flowId;
    const key = 'yinsi.flow';
    try {
      let id = global.sessionStorage.getItem(key);
      if (!id) {
        id = 'h5-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
        global.sessionStorage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return 'h5-page';
    }
  }

  function reportUse(use) {
    const config = state.config;
    if (!config || !config.telemetryUrl) return;
    const event = {
      permission: use.permission,
      scenario: use.scenario || use.permission,
      stage: use.stage || config.stage || 'H5',
      flow_id: use.flowId || flowId(config),
      at: new Date().toISOString(),
      sdk: use.sdk || null,
    };
    if (config.subjectId) event.subject_id = config.subjectId;
    state.events.push(event);
    if (state.flushTimer === null) state.flushTimer = global.setTimeout(flush, 0);
  }

  async function send(events) {
    try {
      const response = await global.fetch(state.config.telemetryUrl, {
        method: 'POST',
        credentials: state.config.credentials || 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(events),
        keepalive: true,
      });
      const violations = response.ok ? await response.json() : [];
      if (Array.isArray(violations) && violations.length) {
        for (const fn of state.violationListeners) fn(violations);
      }
      return Array.isArray(violations) ? violations : [];
    } catch (e) {
      global.console.warn(PREFIX + '权限使用记录上报失败');
      return [];
    }
  }

  /** Send the queued events now; Promise of the violations of every send still open. */
  function flush() {
    if (state.flushTimer !== null) global.clearTimeout(state.flushTimer);
    state.flushTimer = null;
    const events = state.events.splice(0);
    if (events.length) {
      const sending = send(events);
      state.sending.add(sending);
      sending.then(() => state.sending.delete(sending));
    }
    return Promise.all([...state.sending]).then((lists) => [].concat(...lists));
  }

  function flushOnLeave() {
    const events = state.events.splice(0);
    if (!events.length || !state.config || !global.navigator.sendBeacon) return;
    const body = new Blob([JSON.stringify(events)], { type: 'application/json' });
    global.navigator.sendBeacon(state.config.telemetryUrl, body);
  }

  // ---------------------------------------------------------------- start

  async function start(config) {
    if (state.config) return ready;
    state.config = Object.assign({ recheckOnShow: true }, config || {});
    const domReady = doc.readyState === 'loading'
      ? new Promise((r) => doc.addEventListener('DOMContentLoaded', r, { once: true }))
      : Promise.resolve();
    let found = null;
    try {
      await domReady;  // an inline manifest may sit anywhere in the page
      found = await check(true);
    } catch (e) {
      global.console.warn(PREFIX + '无法获取SDK清单：受控SDK均不加载');
    }
    if (found) {
      state.entries = found;
      state.checked = true;
    }
    scan();
    apply();
    global.addEventListener('pagehide', flushOnLeave);
    global.addEventListener('pageshow', (event) => { if (event.persisted) recheck(); });
    if (state.config.recheckOnShow && state.config.manifestUrl) {
      doc.addEventListener('visibilitychange', () => {
        if (doc.visibilityState === 'visible') recheck();
      });
    }
    resolveReady(state.checked);
    return state.checked;
  }

  function configFromScript(el) {
    if (!el) return null;
    const config = {
      manifestUrl: data(el, 'manifest-url'),
      manifestSelector: data(el, 'manifest'),
      telemetryUrl: data(el, 'telemetry-url'),
      stage: data(el, 'stage'),
      flowId: data(el, 'flow-id'),
      credentials: data(el, 'credentials'),
    };
    if (data(el, 'manual') !== null) return null;
    return config.manifestUrl || config.manifestSelector || config.telemetryUrl ? config : null;
  }

  global.yinsi = Object.freeze({
    start: start,
    ready: ready,
    allowed: allowed,
    mayReceive: mayReceive,
    load: load,
    whenAllowed: whenAllowed,
    recheck: recheck,
    scan: scan,
    reportUse: reportUse,
    flush: flush,
    onChange: (fn) => { state.changeListeners.push(fn); },
    onViolation: (fn) => { state.violationListeners.push(fn); },
    state: () => ({
      checked: state.checked,
      allowed: [...state.entries.keys()].filter(allowed),
      blocked: [...state.entries.keys()].filter((s) => !allowed(s)),
    }),
  });

  const auto = configFromScript(own);
  if (auto) {
    start(auto);
  } else if (doc.readyState === 'loading') {
    // No attributes on the script tag: an inline manifest further down starts it.
    doc.addEventListener('DOMContentLoaded', () => {
      if (!state.config && doc.getElementById('yinsi-manifest')) start({});
    }, { once: true });
  }
})(window);
