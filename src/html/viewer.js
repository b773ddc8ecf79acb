/* SPDX-License-Identifier: MIT */
/* viewer.js - the interactive part of impviz -T html pages; no network, no libraries.
 *
 * Reads the page's JSON (#impviz-data: nodes, edges, cycle chains and the full report) and the
 * inline SVG Graphviz drew, whose <g> ids are the nodes' and edges' ids. Pan (drag) and zoom
 * (wheel, buttons) move the SVG viewBox; the search box marks matching modules; a click on a
 * module highlights it, its imports, its importers and its cycle, and lists them with their
 * import statements in the side panel, which also lists every cycle. All text goes into the
 * page with textContent, never as HTML. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('impviz-data').textContent);
  var graph = document.getElementById('graph');
  var svg = graph.querySelector('svg');
  var panel = document.getElementById('panel');
  var search = document.getElementById('search');
  var count = document.getElementById('count');

  var nodes = new Map(), edges = new Map(), outs = new Map(), ins = new Map();
  data.nodes.forEach(function (n) { nodes.set(n.id, n); outs.set(n.id, []); ins.set(n.id, []); });
  data.edges.forEach(function (e) {
    edges.set(e.id, e);
    outs.get(e.source).push(e);
    ins.get(e.target).push(e);
  });

  function el(id) { return document.getElementById(id); }

  function make(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined && text !== null) x.textContent = text;
    if (cls) x.className = cls;
    return x;
  }

  /* ---- pan and zoom: the viewBox is the camera ---------------------------------------- */
  var vb0 = svg.viewBox.baseVal;
  var home = { x: vb0.x, y: vb0.y, w: vb0.width, h: vb0.height };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');

  function setView(x, y, w, h) {
    svg.setAttribute('viewBox', [x, y, w, h].join(' '));
  }
  function view() {
    var v = svg.viewBox.baseVal;
    return { x: v.x, y: v.y, w: v.width, h: v.height };
  }
  function toUser(clientX, clientY) {
    var m = svg.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    var p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }
  function zoom(factor, clientX, clientY) {
    var v = view();
    var r = svg.getBoundingClientRect();
    var p = toUser(clientX === undefined ? r.left + r.width / 2 : clientX,
                   clientY === undefined ? r.top + r.height / 2 : clientY);
    var w = Math.min(Math.max(v.w * factor, home.w / 200), home.w * 20);
    var f = w / v.w;
    setView(p.x - (p.x - v.x) * f, p.y - (p.y - v.y) * f, v.w * f, v.h * f);
  }
  function fit() { setView(home.x, home.y, home.w, home.h); }
  function centerOn(g) {
    var r = g.getBoundingClientRect();
    var c = toUser(r.left + r.width / 2, r.top + r.height / 2);
    var v = view();
    var w = Math.min(v.w, Math.max(home.w / 4, 600)), h = v.h * w / v.w;
    setView(c.x - w / 2, c.y - h / 2, w, h);
  }

  graph.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    zoom(Math.exp(ev.deltaY * 0.0015), ev.clientX, ev.clientY);
  }, { passive: false });
  var drag = null;
  graph.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) graph.classList.add('panning');
    drag.moved = true;
    var m = svg.getScreenCTM();
    var v = view();
    setView(v.x - dx / m.a, v.y - dy / m.d, v.w, v.h);
    drag.x = ev.clientX;
    drag.y = ev.clientY;
  });
  window.addEventListener('pointerup', function () {
    graph.classList.remove('panning');
    setTimeout(function () { drag = null; }, 0);
  });
  el('zoom-in').addEventListener('click', function () { zoom(1 / 1.4); });
  el('zoom-out').addEventListener('click', function () { zoom(1.4); });
  el('zoom-fit').addEventListener('click', fit);

  /* ---- highlighting ---------------------------------------------------------------------- */
  var HL = ['hl-on', 'hl-selected', 'hl-import', 'hl-importer', 'hl-component'];

  function clearHighlight() {
    svg.classList.remove('selecting');
    svg.querySelectorAll('.hl-on').forEach(function (g) { g.classList.remove.apply(g.classList, HL); });
  }
  function mark(id) {
    var g = el(id);
    if (!g) return;
    for (var i = 1; i < arguments.length; i++) g.classList.add(arguments[i]);
  }
  function componentOf(n) {
    if (n.component !== null) return { key: 'component', value: n.component };
    if (n.runtime_component !== null) return { key: 'runtime_component', value: n.runtime_component };
    return null;
  }

  function selectNode(id, recenter) {
    var n = nodes.get(id);
    if (!n) return;
    clearHighlight();
    svg.classList.add('selecting');
    mark(id, 'hl-on', 'hl-selected');
    outs.get(id).forEach(function (e) { mark(e.id, 'hl-on'); mark(e.target, 'hl-on', 'hl-import'); });
    ins.get(id).forEach(function (e) { mark(e.id, 'hl-on'); mark(e.source, 'hl-on', 'hl-importer'); });
    var comp = componentOf(n);
    if (comp) {
      var members = new Set();
      data.nodes.forEach(function (m) {
        if (m[comp.key] === comp.value) { members.add(m.id); mark(m.id, 'hl-on', 'hl-component'); }
      });
      data.edges.forEach(function (e) {
        if (members.has(e.source) && members.has(e.target) && (e.cycle || e.runtime_cycle)) mark(e.id, 'hl-on');
      });
    }
    if (recenter) centerOn(el(id));
    showNode(n);
  }

  function selectEdge(id) {
    var e = edges.get(id);
    if (!e) return;
    clearHighlight();
    svg.classList.add('selecting');
    mark(id, 'hl-on');
    mark(e.source, 'hl-on', 'hl-importer');
    mark(e.target, 'hl-on', 'hl-import');
    showEdge(e);
  }

  function selectCycle(chain, item) {
    clearHighlight();
    svg.classList.add('selecting');
    var ids = new Set(chain.nodes);
    ids.forEach(function (id) { mark(id, 'hl-on', 'hl-component'); });
    data.edges.forEach(function (e) {
      if (ids.has(e.source) && ids.has(e.target) && (e.cycle || e.runtime_cycle)) mark(e.id, 'hl-on');
    });
    panel.querySelectorAll('.cycle.active').forEach(function (x) { x.classList.remove('active'); });
    item.classList.add('active');
  }

  svg.addEventListener('click', function (ev) {
    if (drag && drag.moved) return;
    var g = ev.target.closest('g.node, g.edge');
    if (ev.target.closest('a') && !(ev.ctrlKey || ev.metaKey || ev.shiftKey)) ev.preventDefault();
    if (!g || g.id === 'legend') {
      clearHighlight();
      showOverview();
      return;
    }
    if (g.classList.contains('node')) selectNode(g.id, false);
    else selectEdge(g.id);
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { clearHighlight(); showOverview(); }
  });

  /* ---- search ------------------------------------------------------------------------------ */
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    svg.querySelectorAll('.hl-match').forEach(function (g) { g.classList.remove('hl-match'); });
    if (!q) {
      svg.classList.remove('searching');
      count.textContent = '';
      return [];
    }
    var hits = data.nodes.filter(function (n) { return n.name.toLowerCase().indexOf(q) >= 0; });
    hits.forEach(function (n) { mark(n.id, 'hl-match'); });
    svg.classList.add('searching');
    count.textContent = hits.length + (hits.length === 1 ? ' match' : ' matches');
    return hits;
  }
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    var hits = runSearch();
    if (hits.length) selectNode(hits[0].id, true);
  });

  /* ---- the side panel ---------------------------------------------------------------------- */
  function moduleLink(id) {
    var n = nodes.get(id);
    var a = make('a', n ? n.name : id, 'module');
    a.addEventListener('click', function () { selectNode(id, true); });
    return a;
  }
  function statements(list, stmts) {
    stmts.forEach(function (s) {
      list.appendChild(make('span', s.path + ':' + s.line + ': ' + s.statement +
                                    (s.kind === 'eager' ? '' : '  # ' + s.kind), 'stmt'));
    });
  }
  function edgeList(title, list, endOf) {
    panel.appendChild(make('h2', title + ' (' + list.length + ')'));
    var ul = make('ul');
    list.forEach(function (e) {
      var li = make('li');
      li.appendChild(moduleLink(endOf(e)));
      if (e.cycle) li.appendChild(make('span', ' import-time cycle', 'import-time'));
      statements(li, e.statements);
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }

  function showNode(n) {
    panel.textContent = '';
    panel.appendChild(make('h2', n.type === 'package' ? 'collapsed package' : n.type.replace('_', ' ')));
    panel.appendChild(make('h3', n.name)).id = 'selected-name';
    if (n.path) panel.appendChild(make('code', n.path));
    if (n.link) {
      var open = make('a', ' open source');
      open.href = n.link;
      panel.appendChild(open);
    }
    if (n.modules.length > 1) panel.appendChild(make('p', n.modules.length + ' modules: ' + n.modules.join(', '), 'hint'));
    if (n.component !== null) panel.appendChild(make('p', 'on import-time cycle ' + (n.component + 1), 'import-time'));
    else if (n.runtime_component !== null) panel.appendChild(make('p', 'on runtime-only cycle ' + (n.runtime_component + 1)));
    var rev = data.reversed;
    edgeList('Imports', rev ? ins.get(n.id) : outs.get(n.id), function (e) { return rev ? e.source : e.target; });
    edgeList('Imported by', rev ? outs.get(n.id) : ins.get(n.id), function (e) { return rev ? e.target : e.source; });
    var back = make('button', 'all cycles');
    back.addEventListener('click', function () { clearHighlight(); showOverview(); });
    panel.appendChild(back);
  }

  function showEdge(e) {
    panel.textContent = '';
    panel.appendChild(make('h2', 'import' + (e.count > 1 ? 's (' + e.count + ')' : '')));
    var h = make('h3');
    h.appendChild(moduleLink(data.reversed ? e.target : e.source));
    h.appendChild(document.createTextNode(' \u2192 '));
    h.appendChild(moduleLink(data.reversed ? e.source : e.target));
    panel.appendChild(h);
    if (e.cycle) panel.appendChild(make('p', 'on an import-time cycle', 'import-time'));
    else if (e.runtime_cycle) panel.appendChild(make('p', 'on a runtime-only cycle'));
    var div = make('div', null, 'statements');
    statements(div, e.statements);
    panel.appendChild(div);
  }

  function suggestionsFor(chain) {
    var cycles = data.report && data.report.cycles;
    if (!cycles || chain.kind !== 'import-time') return [];
    var found = cycles.filter(function (c) { return c.members && c.members[0] === chain.members[0]; })[0];
    return found && found.suggestions ? found.suggestions : [];
  }

  function showOverview() {
    panel.textContent = '';
    panel.appendChild(make('p', data.summary, 'hint'));
    ['import-time', 'runtime'].forEach(function (kind) {
      var chains = data.chains.filter(function (c) { return c.kind === kind; });
      panel.appendChild(make('h2', (kind === 'import-time' ? 'Import-time cycles' : 'Runtime-only cycles') +
                                   ' (' + chains.length + ')'));
      if (!chains.length) {
        panel.appendChild(make('p', kind === 'import-time' ? 'none: every module can be imported first'
                                                           : 'none', 'hint'));
        return;
      }
      var ul = make('ul');
      chains.forEach(function (c, i) {
        var li = make('li', null, 'cycle');
        li.dataset.index = String(i + 1);
        li.appendChild(make('div', (i + 1) + '. ' + c.steps.map(function (s) { return s.source; })
          .concat(c.steps.length ? [c.steps[0].source] : []).join(' \u2192 '), 'chain'));
        if (c.members.length > c.steps.length)
          li.appendChild(make('div', c.members.length + ' modules in this cycle', 'hint'));
        statements(li, c.steps);
        suggestionsFor(c).forEach(function (s) {
          li.appendChild(make('div', 'suggestion: ' + s.action + ' ' + s.path + ':' + s.line + ': ' +
                                     s.statement + (s.names && s.names.length ? ' (' + s.names.join(', ') + ')' : ''),
                              'suggestion'));
        });
        li.addEventListener('click', function () { selectCycle(c, li); });
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    });
    panel.appendChild(make('p', 'Click a module to see its imports, importers and cycle; drag to pan, ' +
                                'wheel to zoom; Esc clears.', 'hint'));
  }

  showOverview();
  document.body.dataset.ready = 'true';
})();
