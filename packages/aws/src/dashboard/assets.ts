/**
 * The dashboard's two static assets, served by the dashboard function at /assets/app.css and /assets/app.js
 * (the Content-Security-Policy allows scripts and styles from 'self' only: nothing inline).
 *
 * app.js is progressive enhancement: the page is complete without it. It polls the page's JSON twin
 * (`data-poll`) every 15 s while the tab is visible, swaps the `data-live` regions that changed (keeping
 * keyboard focus), and keeps the relative times (`<time data-rel>`) current between polls.
 */
import { createHash } from 'node:crypto';

export const APP_CSS = `
:root { --ink:#1a1a1a; --muted:#555; --line:#d0d0d0; --bg:#f6f7f9; --panel:#fff; --link:#0b57d0; --focus:#1a73e8;
  --p0:#D32F2F; --p1:#F57C00; --p2:#FBC02D; --p3:#1976D2; --ok:#2E7D32; --ack:#757575; }
* { box-sizing: border-box; }
html { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 15px; color: var(--ink); background: var(--bg); }
body { margin: 0; line-height: 1.45; }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: .4rem 0 1rem; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1.02rem; margin: 1rem 0 .4rem; display: flex; gap: .5rem; align-items: center; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: -9999px; top: .5rem; background: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #1f2933; color: #fff; flex-wrap: wrap; }
.top a { color: #fff; }
.top .brand a { font-weight: 700; text-decoration: none; font-size: 1.1rem; }
.top nav ul { list-style: none; display: flex; gap: 1.2rem; margin: 0; padding: 0; flex-wrap: wrap; }
.top nav a[aria-current="page"] { text-decoration-thickness: 3px; text-underline-offset: 4px; }
.top .who { margin-left: auto; }
.top :focus-visible { outline-color: #9cc3ff; }
.top a.skip { color: #0b57d0; background: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
.foot { max-width: 1280px; margin: 0 auto; padding: 0 1.5rem 2rem; color: var(--muted); font-size: .9rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; }
.panel.narrow { max-width: 28rem; }
.panel > h2:first-child { margin-top: .2rem; }
.muted { color: var(--muted); }
.small { font-size: .85rem; }
.empty { color: var(--muted); font-style: italic; }
.count { font-weight: 400; color: var(--muted); font-size: .95rem; }
.filters { display: flex; flex-wrap: wrap; gap: .8rem 1.2rem; align-items: flex-end; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field.grow { flex: 1 1 16rem; }
.field.buttons { flex-direction: row; align-items: center; gap: .6rem; }
label, legend { font-weight: 600; font-size: .9rem; }
input, select, button, .button { font: inherit; padding: .35rem .6rem; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--ink); }
button, .button { background: #0b57d0; border-color: #0b57d0; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; line-height: 1.3; }
button:hover, .button:hover { background: #0842a0; }
button.secondary, .button.secondary { background: #fff; color: #0b57d0; border-color: #0b57d0; }
button.danger { background: #b3261e; border-color: #b3261e; }
button.danger:hover { background: #8c1d18; }
button.link { background: none; border: none; color: inherit; text-decoration: underline; padding: 0; }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); border-radius: 6px; display: flex; flex-wrap: wrap; gap: .8rem 1.2rem; align-items: flex-end; margin: 1rem 0 0; padding: .6rem 1rem .9rem; }
.flash { padding: .6rem 1rem; border-radius: 6px; margin: 0 0 1rem; border: 1px solid; }
.flash-ok { background: #e8f5e9; border-color: var(--ok); }
.flash-error { background: #fdecea; border-color: #b3261e; }
.cards { list-style: none; display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .8rem; padding: 0; margin: 0 0 .5rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 6px solid; border-radius: 6px; padding: .5rem .8rem; }
.card-P0 { border-left-color: var(--p0); } .card-P1 { border-left-color: var(--p1); } .card-P2 { border-left-color: var(--p2); } .card-P3 { border-left-color: var(--p3); }
.card-num { font-size: 1.6rem; font-weight: 700; display: block; }
.card-label { font-weight: 600; }
.card-sub { color: var(--muted); font-size: .9rem; }
.sev { display: inline-block; min-width: 2.2em; text-align: center; font-weight: 700; border-radius: 4px; padding: 0 .35em; font-size: .9rem; }
.sev-P0 { background: var(--p0); color: #fff; } .sev-P1 { background: var(--p1); color: #000; }
.sev-P2 { background: var(--p2); color: #000; } .sev-P3 { background: var(--p3); color: #fff; }
.state { display: inline-block; border-radius: 999px; padding: 0 .6em; font-size: .85rem; font-weight: 600; border: 1px solid; }
.state-open { color: #b3261e; border-color: #b3261e; background: #fff; }
.state-acknowledged { color: #fff; background: var(--ack); border-color: var(--ack); }
.state-resolved { color: #fff; background: var(--ok); border-color: var(--ok); }
.tag { display: inline-block; font-size: .78rem; border: 1px solid var(--muted); color: var(--muted); border-radius: 3px; padding: 0 .3em; margin-left: .3em; }
.group { background: var(--panel); border: 1px solid var(--line); border-left: 6px solid; border-radius: 6px; padding: .2rem 1rem .6rem; margin: .8rem 0; }
/* Long lists: off-screen groups are laid out only when scrolled to (1,000 incidents load in well under 1 s). */
.group, #resolved, #outbox { content-visibility: auto; contain-intrinsic-size: auto 480px; }
.group-P0 { border-left-color: var(--p0); } .group-P1 { border-left-color: var(--p1); } .group-P2 { border-left-color: var(--p2); } .group-P3 { border-left-color: var(--p3); }
table { border-collapse: collapse; width: 100%; }
table.incidents th, table.incidents td, table.data th, table.data td { text-align: left; padding: .35rem .6rem .35rem 0; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
table.incidents thead th, table.data thead th { font-size: .85rem; color: var(--muted); border-bottom: 2px solid var(--line); }
.group table.incidents { table-layout: fixed; }
.group th:nth-child(1) { width: 9.5rem; } .group th:nth-child(3) { width: 12rem; } .group th:nth-child(4) { width: 7rem; }
.group th:nth-child(5) { width: 13rem; } .group th:nth-child(6) { width: 4.5rem; }
tr.row-acknowledged td { color: #3d3d3d; background: #fafafa; }
td.alarm { overflow-wrap: anywhere; max-width: 28rem; }
td.actions { white-space: nowrap; text-align: right; }
td.actions button, td.actions .button { padding: .2rem .6rem; font-size: .9rem; }
.alarm-name { overflow-wrap: anywhere; }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; }
#resolved table.incidents, #silences table.incidents, #outbox table.incidents, section table.incidents { background: var(--panel); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .axis { font-size: 11px; fill: #333; font-family: inherit; }
.legend { list-style: none; display: flex; gap: 1rem; padding: 0; margin: 0 0 .3rem; font-size: .85rem; flex-wrap: wrap; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -.1em; border-radius: 2px; }
.key { display: inline-block; width: 1.6em; height: 0; border-top: 3px solid; vertical-align: middle; }
.key-mtta { border-color: #0b57d0; } .key-mttr { border-color: #6a1b9a; border-top-style: dashed; }
details { margin-top: .4rem; font-size: .9rem; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: .2rem 1.5rem; margin: 0; }
dl.facts.wide { grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); }
dl.facts div { display: grid; grid-template-columns: 9rem 1fr; gap: .5rem; padding: .25rem 0; border-bottom: 1px solid #eee; }
dl.facts dt { font-weight: 600; color: #3d3d3d; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ol.steps li { margin: .3rem 0; }
code.step { white-space: pre-wrap; }
.action-row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin-top: .8rem; }
.resolve-form { display: inline-flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.update-form { display: flex; gap: .5rem; align-items: flex-end; flex-wrap: wrap; margin: .5rem 0; }
.update-form label { flex-basis: 100%; }
.update-form textarea { font: inherit; flex: 1 1 24rem; padding: .35rem .6rem; border: 1px solid #767676; border-radius: 4px; }
pre.review-markdown { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: .75rem; font-size: .9rem; }
.crumbs { margin: 0; }
.id { font-size: 1rem; font-weight: 400; }
.outcome-delivered { color: var(--ok); font-weight: 600; } .outcome-failed { color: #b3261e; font-weight: 600; }
.outcome-scheduled { color: #5f4b00; font-style: italic; }
.state-member-firing { color: #b3261e; font-weight: 600; } .state-member-recovered { color: var(--ok); }
.pager { margin: .8rem 0; }
.tl-failed td { background: #fdecea; }
table.timeline td:first-child { white-space: nowrap; }
@media (max-width: 700px) { main { padding: .6rem; } td.actions { white-space: normal; } dl.facts div { grid-template-columns: 1fr; } }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; } }
`;

export const APP_JS = `(function () {
  'use strict';
  var body = document.body;
  var poll = body.getAttribute('data-poll');
  var status = document.getElementById('live-status');
  var etag = body.getAttribute('data-etag') || '';
  var skew = 0;
  var stopped = false;
  var every = Math.max(1000, Number(body.getAttribute('data-poll-ms')) || 15000);

  function secondsText(total) {
    var s = Math.max(0, Math.round(total));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return s % 60 ? m + ' min ' + (s % 60) + ' s' : m + ' min';
    var h = Math.floor(m / 60);
    if (h < 24) return m % 60 ? h + ' h ' + (m % 60) + ' min' : h + ' h';
    var d = Math.floor(h / 24);
    return h % 24 ? d + ' d ' + (h % 24) + ' h' : d + ' d';
  }

  function tick() {
    var now = Date.now() - skew;
    var els = document.querySelectorAll('time[data-rel]');
    for (var i = 0; i < els.length; i++) {
      var t = Date.parse(els[i].getAttribute('datetime'));
      if (isNaN(t)) continue;
      var kind = els[i].getAttribute('data-rel');
      var text = kind === 'age' ? secondsText((now - t) / 1000) : (t >= now ? 'in ' + secondsText((t - now) / 1000) : 'overdue ' + secondsText((now - t) / 1000));
      if (els[i].textContent !== text) els[i].textContent = text;
    }
  }

  function say(text) { if (status) status.textContent = text; }

  function swap(sections) {
    var changed = 0;
    for (var key in sections) {
      if (!Object.prototype.hasOwnProperty.call(sections, key)) continue;
      var el = document.querySelector('[data-live="' + key + '"]');
      if (!el || el.innerHTML === sections[key]) continue;
      var active = document.activeElement;
      var focusId = active && active !== body && el.contains(active) ? active.id : null;
      el.innerHTML = sections[key];
      changed++;
      if (focusId) { var again = document.getElementById(focusId); if (again) again.focus(); }
    }
    return changed;
  }

  function refresh() {
    if (stopped || !poll || document.hidden || !window.fetch) return;
    var url = poll + (poll.indexOf('?') < 0 ? '?' : '&') + 'etag=' + encodeURIComponent(etag);
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(function (r) {
        if (r.status === 401) { stopped = true; say('Signed out: reload the page to sign in again.'); return null; }
        if (r.status === 404) { stopped = true; say('This page no longer exists.'); return null; }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        if (!data) return;
        if (data.now) skew = Date.now() - Date.parse(data.now);
        etag = data.etag || '';
        if (data.changed && data.sections) {
          var n = swap(data.sections);
          if (n) say('Updated at ' + new Date().toLocaleTimeString() + '.');
        }
        tick();
      })
      .catch(function () { say('Cannot reach the server; retrying every ' + Math.round(every / 1000) + ' s.'); });
  }

  // The server rendered the times; the first refresh comes with the interval (nothing to redo at load).
  setInterval(tick, 5000);
  if (poll) {
    setInterval(refresh, every);
    document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
  }
})();
`;

export interface Asset {
  type: string;
  body: string;
  etag: string;
}

function asset(type: string, body: string): Asset {
  return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

export const ASSETS: Record<string, Asset> = {
  'app.css': asset('text/css; charset=utf-8', APP_CSS),
  'app.js': asset('text/javascript; charset=utf-8', APP_JS),
};
