// SPDX-License-Identifier: MIT
// check-html.js - loads an impviz -T html page of tests/fixtures/viewproj in headless Chromium
// (Debian's, through playwright-core) and checks what a reader does with it: the cycle panel,
// clicking a module (highlighting of its imports, importers and cycle; the panel), clicking an
// edge, searching, zooming and panning, Escape - with no console error and no network request.
//
//   node check-html.js PAGE.html CHROMIUM LINK_PREFIX
// Prints one line per failed check and exits 1 when any failed.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [page_file, executable, link_prefix] = process.argv.slice(2);
let failures = 0, checks = 0;
function check(cond, what) {
  checks++;
  if (!cond) {
    failures++;
    console.log('FAIL: ' + what);
  }
}
function equal(got, want, what) {
  check(JSON.stringify(got) === JSON.stringify(want),
        what + '\n  got  ' + JSON.stringify(got) + '\n  want ' + JSON.stringify(want));
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'impviz-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = await ctx.newPage();
    const problems = [], requests = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    const url = 'file://' + path.resolve(page_file);
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });

    const viewBox = () => page.evaluate(() => {
      const v = document.querySelector('#graph svg').viewBox.baseVal;
      return [v.x, v.y, v.width, v.height];
    });
    const home = await viewBox();
    check(home[2] > 100 && home[3] > 100, 'the whole graph in view at first: ' + home);

    // the panel lists the cycles with their chains and statements
    const panel = () => page.textContent('#panel');
    let text = await panel();
    check(text.includes('Import-time cycles (1)'), 'panel counts import-time cycles: ' + text);
    check(text.includes('shop.core.models \u2192 shop.core.signals \u2192 shop.core.models'), 'cycle chain');
    check(text.includes('shop/core/models.py:3: from shop.core import signals'), 'cycle step statement');
    check(text.includes('suggestion: defer shop/core/models.py:3: from shop.core import signals'),
          'the suggestion of the cycle: ' + text);
    check(text.includes('Runtime-only cycles (1)') && text.includes('# deferred'), 'runtime-only cycle');

    const classes = (id) => page.evaluate((i) => {
      const g = document.getElementById(i);
      return g ? Array.from(g.classList).filter((c) => c.startsWith('hl-')).sort() : null;
    }, id);
    const opacity = (id) => page.evaluate((i) => Number(getComputedStyle(document.getElementById(i)).opacity), id);

    // click a module: it, its imports, its importers and its cycle light up; the rest fades
    await page.click('[id="m:shop.core.models"]');
    equal(await classes('m:shop.core.models'), ['hl-component', 'hl-on', 'hl-selected'], 'selected module');
    equal(await classes('m:shop.core.signals'), ['hl-component', 'hl-import', 'hl-importer', 'hl-on'],
          'signals: imported, importer and on the cycle');
    equal(await classes('m:shop.util.text'), ['hl-import', 'hl-on'], 'an import');
    equal(await classes('m:shop.ui.views'), ['hl-importer', 'hl-on'], 'an importer');
    equal(await classes('m:manage'), [], 'an unrelated module');
    await page.waitForTimeout(300); // the fade is a transition
    check(await opacity('m:manage') < 0.5, 'an unrelated module fades');
    check(await opacity('m:shop.ui.views') === 1, 'an importer stays opaque');
    equal(await classes('e:shop.core.models->shop.core.signals'), ['hl-on'], 'the cycle edge lights up');
    equal(await page.textContent('#selected-name'), 'shop.core.models', 'panel names the module');
    text = await panel();
    check(text.includes('Imports (4)') && text.includes('Imported by (2)'), 'panel counts imports and importers: ' + text);
    check(text.includes('shop/ui/views.py:1: from shop.core import models'), 'panel shows importer statements');
    check(text.includes('on import-time cycle 1'), 'panel names the cycle');
    const href = await page.getAttribute('#panel a[href]', 'href');
    equal(href, link_prefix + 'shop/core/models.py#L1', '--link reaches the panel');
    equal(page.url(), url, 'a click on a linked node highlights instead of leaving the page');

    // a module link in the panel selects that module
    await page.click('#panel a.module:text-is("shop.ui.views")');
    equal(await page.textContent('#selected-name'), 'shop.ui.views', 'panel link selects a module');

    // click an edge: its statements
    await page.keyboard.press('Escape');
    equal(await page.evaluate(() => document.querySelectorAll('.hl-on').length), 0, 'Escape clears');
    await page.dispatchEvent('[id="e:shop.ui.views->shop.ui.forms"]', 'click');
    text = await panel();
    check(text.includes('shop/ui/views.py:6: from shop.ui import forms  # deferred'), 'edge statements: ' + text);

    // a cycle in the panel highlights its members
    await page.keyboard.press('Escape');
    await page.click('#panel li.cycle >> nth=0');
    equal(await classes('m:shop.core.signals'), ['hl-component', 'hl-on'], 'cycle click highlights members');
    equal(await classes('m:shop.ui.forms'), [], 'cycle click leaves others');

    // search: matches marked, Enter selects the first
    await page.fill('#search', 'util');
    equal(await page.textContent('#count'), '2 matches', 'search counts matches');
    equal(await classes('m:shop.util.text'), ['hl-match'], 'search marks a match');
    await page.press('#search', 'Enter');
    equal(await page.textContent('#selected-name'), 'shop.util', 'Enter selects the first match');
    await page.fill('#search', '');
    equal(await page.textContent('#count'), '', 'empty search clears');

    // zoom and pan move the viewBox
    await page.click('#zoom-fit');
    equal(await viewBox(), home, 'fit shows the whole graph as loaded');
    await page.click('#zoom-in');
    const zoomed = await viewBox();
    check(zoomed[2] < home[2] * 0.8, 'zoom in narrows the view: ' + zoomed + ' from ' + home);
    const box = await page.locator('#graph').boundingBox();
    await page.mouse.move(box.x + 20, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + box.height - 60, { steps: 5 });
    await page.mouse.up();
    const panned = await viewBox();
    check(panned[0] < zoomed[0] && panned[2] === zoomed[2], 'drag pans: ' + panned + ' from ' + zoomed);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 400);
    check((await viewBox())[2] > panned[2], 'wheel zooms out');
    await page.click('#zoom-fit');
    equal(await viewBox(), home, 'fit restores the whole graph');

    equal(problems, [], 'no console errors or warnings');
    equal(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), [], 'no network request');
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`html: ${checks - failures} of ${checks} checks passed`);
  process.exit(failures ? 1 : 0);
})().catch((e) => {
  console.log('FAIL: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
