// The officers' pages in a real Chromium (Debian's, driven by playwright-core), against the
// real server binary and its demo district: every role logs in and works; duplicates are
// merged; a plan is confirmed after a refusal shown next to its field; an after-photo is
// uploaded from the browser; the entry is verified and closed; the ledger downloads as Excel
// and CSV; charts and print pages render; script payloads stay text; another jurisdiction's
// entry, photo and export answer 404; forms without the CSRF token or from another origin are
// refused; axe-core finds no serious accessibility violation (the campaign records' pages of
// issue 15 too, tested in depth by campaign.test.mjs); the pages fit a 360 px phone; English is
// one click away. Screenshots of every main page are kept in tests/web/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, launch, openPage, login, shot, api, token, root, artifacts, enroll, jpeg, sendReport } from './harness.mjs';
import { createServer } from 'node:http';

const require = createRequire(import.meta.url);
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const who = (name) => server.logins[name];

/** Entries of the ledger through the API, as the district sees them. */
async function entries(query) {
  const t = await token(server.base, who('district.admin'));
  const r = await api(server.base, t, `/api/v1/ledger?per_page=200&${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json.entries;
}

/** A drill with a finding and a supervision visit of E001, recorded through the API. */
async function campaignRecords() {
  const t = await token(server.base, who('district.admin'));
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const drill = await api(server.base, t, '/api/v1/trainings', { method: 'POST', body: {
    enterprise: 'E001', kind: 'drill', date: day, topic: '液氯泄漏应急演练', hours: 2, outside_trainees: 12,
    scenario: '储罐区阀门泄漏', teams: [{ workshop: '电解车间', team: '甲班' }], findings: ['喷淋装置水压不足'] } });
  assert.equal(drill.status, 201, drill.text);
  const visit = await api(server.base, t, '/api/v1/supervision/visits', { method: 'POST', body: {
    enterprise: 'E001', date: day, team: ['区总工会 张三'], checked: '隐患台账、应急预案', findings: ['消防通道堆放杂物'], rating: 'good' } });
  assert.equal(visit.status, 201, visit.text);
  return { training: drill.json.id, visit: visit.json.id };
}

/** The month the monthly report page shows first (the previous one), `YYYY-MM`. */
async function previousMonth(page) {
  await page.goto(server.base + '/monthly');
  return page.inputValue('#m');
}

/** Forgets the console line the browser logs for a refusal the test asked for. */
function expected(page, status) {
  page.problems = page.problems.filter((p) => !p.includes(`status of ${status}`));
}

/** Asserts that a page showed no dialog, console error or CSP violation. */
function clean(page) {
  assert.deepEqual(page.problems, [], 'the page reported problems');
}

test('every role logs in and sees its workbench and pages, in Chinese', async () => {
  const roles = [['district.admin', 'district'], ['town.t01', 'town'], ['union.e001', 'enterprise'], ['bureau.officer', 'bureau']];
  for (const [name, role] of roles) {
    const { context, page } = await openPage(browser);
    if (role === 'district') {
      await page.goto(server.base + '/');
      await shot(page, 'login');
    }
    await login(page, server.base, who(name));
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal((await page.textContent('h1')).trim(), '工作台');
    assert.match(await page.textContent('.who'), new RegExp(name.replace('.', '\\.')));
    await shot(page, `workbench-${role}`);
    for (const path of ['/review', '/ledger', '/stats', '/rewards', '/draws', '/sites']) {
      const r = await page.goto(server.base + path);
      assert.equal(r.status(), 200, `${name} ${path}`);
      if (role === 'district' || path === '/ledger') {
        await shot(page, `${path.slice(1)}-${role}`);
      }
    }
    clean(page);
    const admin = await page.goto(server.base + '/admin');
    assert.equal(admin.status(), role === 'district' ? 200 : 403, `${name} /admin`);
    if (role === 'district') { await shot(page, 'admin'); } else {
      assert.match(await page.textContent('main'), /不能执行/);
      await shot(page, `forbidden-${role}`);
      expected(page, 403);
    }
    clean(page);
    await context.close();
  }
});

test('review: keyboard moves through the inbox, two duplicates are merged', async () => {
  const pending = (await entries('status=pending_review&enterprise=E004&sort=number'));
  assert.ok(pending.length >= 2, 'the demo has two pending entries of E004');
  const [dup, keep] = pending;
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('district.admin'));
  await page.goto(server.base + '/review');
  const items = page.locator('[data-inbox-item]');
  assert.ok(await items.count() >= 2);
  assert.match(await items.nth(0).getAttribute('class'), /current/);
  await page.keyboard.press('j');
  assert.match(await items.nth(1).getAttribute('class'), /current/);
  await page.keyboard.press('k');
  await Promise.all([page.waitForURL(/\/entries\//), page.keyboard.press('Enter')]);

  await page.goto(`${server.base}/entries/${dup.id}#merge`);
  assert.equal(await page.locator('details#merge').getAttribute('open'), '');
  await page.fill('#merge-into', keep.number);
  await page.fill('#merge-reason', '同一隐患重复上报');
  await Promise.all([page.waitForURL(/done=merge/), page.click('details#merge button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已合并/);
  assert.match(await page.textContent('h1'), /已合并/);
  await shot(page, 'entry-merged');
  await page.goto(`${server.base}/entries/${keep.id}`);
  assert.match(await page.textContent('#hist'), /处理经过/);
  assert.match(await page.textContent('.timeline'), new RegExp(dup.number));
  clean(page);
  await context.close();
});

test('confirm: a missing field is named next to it, then the plan is recorded', async () => {
  const [e] = await entries('status=pending_review&enterprise=E001&sort=number');
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('district.admin'));
  await page.goto(`${server.base}/entries/${e.id}#confirm`);
  await shot(page, 'entry-pending');
  const later = new Date(Date.now() + 20 * 86400e3).toISOString().slice(0, 10);
  await page.fill('#responsible', '');
  await page.fill('#measures', '更换阀门密封件，加装防护罩');
  await page.fill('#funds', '800');
  await page.fill('#deadline', later);
  await page.fill('#contingency', '关闭上游阀门，设置警戒区');
  await page.selectOption('#level', 'workshop');
  const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('details#confirm button[type=submit]')]);
  assert.equal(refused.status(), 400);
  await page.locator('.flash.bad').waitFor();
  const field = page.locator('.field.has-error');
  assert.equal(await field.count(), 1);
  assert.equal(await field.locator('input').getAttribute('id'), 'responsible');
  assert.match(await field.locator('.error').textContent(), /责任/);
  assert.equal(await page.inputValue('#measures'), '更换阀门密封件，加装防护罩', 'the other values are kept');
  await shot(page, 'entry-confirm-refused');
  expected(page, 400);
  await page.fill('#responsible', '设备科 王工');
  await Promise.all([page.waitForURL(/done=confirm/), page.click('details#confirm button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已确认/);
  assert.match(await page.textContent('#plan'), /整改方案/);
  assert.match(await page.textContent('main'), /设备科 王工/);

  // Rectified with an after-photo from the browser, then verified and closed.
  await page.click('details#rectified > summary');
  await page.fill('#rect-note', '已更换密封件并试压合格');
  await page.setInputFiles('#rect-photos', join(root, 'tests', 'fixtures', 'demo-valve.jpg'));
  await Promise.all([page.waitForURL(/done=rectified/), page.click('details#rectified button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /整改完成/);
  assert.match(await page.textContent('#ba'), /整改前后对比/);
  const after = await page.locator('section[aria-labelledby=ba] img').last().getAttribute('src');
  const thumb = await page.request.get(server.base + after);
  assert.equal(thumb.status(), 200);
  assert.equal(thumb.headers()['content-type'], 'image/jpeg');
  await shot(page, 'entry-rectified');
  // Whoever marked it rectified does not verify it: the town officer does.
  const town = await openPage(browser);
  await login(town.page, server.base, who('town.t01'));
  await town.page.goto(`${server.base}/entries/${e.id}`);
  await town.page.click('details#verify > summary');
  await town.page.fill('#verify-note', '现场复查合格');
  await Promise.all([town.page.waitForURL(/done=verify_accept/), town.page.click('details#verify button[value=true]')]);
  assert.match(await town.page.textContent('.flash.ok'), /销号/);
  assert.match(await town.page.textContent('h1'), /已销号/);
  await shot(town.page, 'entry-closed');
  clean(town.page);
  await town.context.close();

  // The printable notice, as printed.
  await page.goto(`${server.base}/entries/${e.id}/notice`);
  assert.match(await page.textContent('h1'), /隐患整改通知书/);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').isVisible(), false, 'no navigation on paper');
  await shot(page, 'notice-print');
  await page.emulateMedia({ media: 'screen' });
  clean(page);
  await context.close();
});

test('the ledger filters, downloads as Excel and CSV, prints, and charts render', async () => {
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('district.admin'));
  await page.goto(server.base + '/ledger');
  await page.selectOption('#f-status', 'rectifying');
  await page.check('input[name=overdue]');
  await Promise.all([page.waitForURL(/status=rectifying/), page.click('form.filters button[type=submit]')]);
  const rows = page.locator('tbody tr');
  assert.ok(await rows.count() >= 1);
  assert.equal(await page.locator('tbody tr.overdue').count(), await rows.count(), 'every row overdue and marked');
  await shot(page, 'ledger-filtered');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/api/v1/ledger/export.xlsx"]')]);
  const file = join(artifacts, 'ledger.xlsx');
  await download.saveAs(file);
  const strings = execFileSync('python3', ['-c',
    'import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/sharedStrings.xml").decode())', file]).toString();
  assert.match(strings, /台账编号/);
  const number = (await rows.first().locator('td').first().textContent()).trim();
  assert.ok(strings.includes(number), `the spreadsheet holds ${number}`);
  const csv = await page.request.get(server.base + '/api/v1/ledger/export.csv?status=rectifying&overdue=true');
  assert.equal(csv.status(), 200);
  const bytes = await csv.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with BOM');
  assert.ok(bytes.toString('utf8').includes(number));
  await page.goto(server.base + '/ledger/print?status=rectifying');
  assert.ok(await page.locator('tbody tr').count() >= 1);
  await shot(page, 'ledger-print');
  await page.goto(server.base + '/stats');
  assert.ok(await page.locator('svg.chart rect').count() > 5, 'bars drawn');
  assert.equal(await page.locator('svg.chart title').first().count(), 1, 'charts have titles');
  clean(page);
  await context.close();
});

test('outside the jurisdiction, entries, photos, thumbnails and exports answer 404', async () => {
  const [foreign] = await entries('enterprise=E004&sort=number');
  const t = await token(server.base, who('district.admin'));
  const full = await api(server.base, t, `/api/v1/ledger/${foreign.id}`);
  const photo = full.json.reports[0].photos[0];
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('union.e001'));
  for (const path of [`/entries/${foreign.id}`, `/entries/${foreign.id}/notice`, `/thumbs/${photo}`, `/api/v1/photos/${photo}`, `/api/v1/ledger/${foreign.id}`]) {
    const r = await page.request.get(server.base + path);
    assert.equal(r.status(), 404, path);
  }
  const r = await page.goto(`${server.base}/entries/${foreign.id}`);
  assert.equal(r.status(), 404);
  assert.match(await page.textContent('main'), /未找到/);
  await shot(page, 'not-found');
  const csv = await page.request.get(server.base + '/api/v1/ledger/export.csv?enterprise=E004');
  assert.equal(csv.status(), 200);
  assert.equal((await csv.text()).trim().split('\n').length, 1, 'only the header row');
  await context.close();
});

test('forms without the CSRF token, or from another origin, are refused', async () => {
  const [e] = await entries('status=pending_review&sort=number');
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('district.admin'));
  await page.goto(`${server.base}/entries/${e.id}`);
  const csrf = await page.getAttribute('input[name=csrf]', 'value');
  const path = `${server.base}/entries/${e.id}/act/reject`;
  const without = await page.request.post(path, { form: { reason: '伪造' }, headers: { origin: server.base } });
  assert.equal(without.status(), 403);
  const foreign = await page.request.post(path, { form: { csrf, reason: '伪造' }, headers: { origin: 'http://evil.example' } });
  assert.equal(foreign.status(), 403);
  const logout = await page.request.post(`${server.base}/logout`, { form: {}, headers: { origin: server.base } });
  assert.equal(logout.status(), 403);
  const still = await api(server.base, await token(server.base, who('district.admin')), `/api/v1/ledger/${e.id}`);
  assert.equal(still.json.status, 'pending_review', 'nothing changed');
  // The headers every page carries.
  const r = await page.goto(server.base + '/ledger');
  const h = r.headers();
  assert.match(h['content-security-policy'], /default-src 'self'/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-content-type-options'], 'nosniff');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'hazardsnap_session');
  assert.ok(session.httpOnly);
  assert.equal(session.sameSite, 'Lax');
  await context.close();
});

test('script payloads in notes, names, workshops and enterprise names render as text', async () => {
  const evil = '<script>alert(1)</script>';
  const img = '"><img src=x onerror=alert(2)>';
  // A JSON string is a TOML basic string: the quotes in the payloads are escaped.
  const q = (s) => JSON.stringify(s);
  const roster = `
[district]
name = ${q(`周村区${evil}`)}
[[towns]]
code = "T01"
name = ${q(`丝绸路街道${img}`)}
[[enterprises]]
code = "E001"
name = ${q(`某化工${evil}有限公司`)}
town = "T01"
industry = "chemicals"
workshops = [{ name = ${q(`一车间${img}`)}, teams = [${q(`甲班${evil}`)}] }]
[[users]]
username = "qu"
password = "district-pass-1"
role = "district"
[[enrollment_codes]]
code = "E001-JOIN"
enterprise = "E001"
`;
  const hostile = await startServer({ roster });
  try {
    const device = await enroll(hostile.base, 'E001-JOIN', `手机${evil}`);
    const photo = readFileSync(join(root, 'tests', 'fixtures', 'demo-valve.jpg'));
    const sent = await sendReport(hostile.base, device, photo, {
      severity: 'major', note: `阀门泄漏${evil}${img}`, workshop: `一车间${img}`, team: `甲班${evil}`,
    });
    const entry = sent.entry_id;
    assert.ok(entry, JSON.stringify(sent));
    const { context, page } = await openPage(browser);
    await login(page, hostile.base, { user: 'qu', pass: 'district-pass-1' });
    for (const path of ['/', '/review', '/ledger', `/entries/${entry}`, `/entries/${entry}/notice`, '/stats', '/admin', '/ledger/print',
      '/monthly', '/trainings', '/visits', '/draws']) {
      const r = await page.goto(hostile.base + path);
      assert.equal(r.status(), 200, path);
      assert.equal(await page.locator('script').count(), 1, `${path}: only our own script`);
      assert.equal(await page.locator('img[src=x]').count(), 0, `${path}: no injected image`);
    }
    await page.goto(`${hostile.base}/entries/${entry}`);
    assert.ok((await page.textContent('main')).includes(evil), 'the payload is shown as text');
    await shot(page, 'xss-entry');
    clean(page);
    await context.close();
  } finally {
    hostile.stop();
  }
});

test('axe-core finds no serious accessibility violation on the main pages', async () => {
  const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const [e] = await entries('sort=number');
  // Injecting axe is an inline script: this context alone bypasses the page's CSP.
  const { context, page } = await openPage(browser, { bypassCSP: true });
  const check = async (path, prepare) => {
    await page.goto(server.base + path);
    if (prepare) { await prepare(); }
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.length} × ${v.nodes[0]?.target}`), [], path);
  };
  await check('/');
  await login(page, server.base, who('district.admin'));
  for (const path of ['/', '/review', '/ledger', `/entries/${e.id}`, '/stats', '/rewards', '/draws', '/sites', '/admin']) {
    await check(path);
  }
  // The campaign records' pages (issue 15), with a drill and a visit of the demo district.
  const { training, visit } = await campaignRecords();
  const month = await previousMonth(page);
  for (const [path, name] of [['/monthly', 'monthly-overview'], [`/monthly/${month}/T01`, 'monthly-town'],
    ['/trainings', 'trainings-district'], [`/trainings/${training}`, 'training-detail-district'],
    ['/visits', 'visits-district'], [`/visits/${visit}`, 'visit-detail-district']]) {
    await check(path);
    await shot(page, name);
  }
  // The forms open, the drill's fields shown.
  await check('/trainings#new-training', () => page.selectOption('#t-kind', 'drill'));
  await check('/visits?new=E001#new-visit');
  await context.close();
});

test('the pages fit a 360 px phone and switch to English', async () => {
  const [e] = await entries('status=rectifying&sort=number');
  const { context, page } = await openPage(browser, { viewport: { width: 360, height: 740 } });
  await login(page, server.base, who('town.t01'));
  for (const [path, name] of [['/', 'phone-workbench'], ['/ledger', 'phone-ledger'], ['/review', 'phone-review'], [`/entries/${e.id}`, 'phone-entry'],
    ['/monthly', 'phone-monthly-t01'], ['/trainings', 'phone-trainings-t01'], ['/visits', 'phone-visits-t01']]) {
    await page.goto(server.base + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${path} is ${overflow} px wider than the phone`);
    await shot(page, name);
  }
  await page.goto(server.base + '/');
  await Promise.all([page.waitForURL(server.base + '/'), page.click('a[lang=en]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal((await page.textContent('h1')).trim(), 'Workbench');
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(server.base + '/ledger');
  assert.equal((await page.textContent('h1')).trim(), 'Hazard ledger');
  await shot(page, 'ledger-english');
  clean(page);
  await context.close();
});

test('with a tile server configured, the open entries are on a map; without one, a list', async () => {
  // A tile server of our own on loopback (a district's offline one): every tile one grey PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4AQAA2gDZEE0EmAAAAABJRU5ErkJggg==', 'base64');
  let tiles = 0;
  const tileServer = createServer((req, res) => { tiles += 1; res.writeHead(200, { 'content-type': 'image/png' }); res.end(png); });
  await new Promise((r) => tileServer.listen(0, '127.0.0.1', r));
  const tileUrl = `http://127.0.0.1:${tileServer.address().port}/{z}/{x}/{y}.png`;
  const mapped = await startServer({ args: ['--map-tiles', tileUrl, '--map-attribution', '© 测试瓦片 <b>x</b>'] });
  try {
    const device = await enroll(mapped.base, 'E001-JOIN-DEMO');
    // One by GPS, one by its site point's QR code (no GPS: placed at the point).
    await sendReport(mapped.base, device, await jpeg(browser, 1), { location: { lat: 36.8040, lon: 117.8730 }, severity: 'major', note: '储罐区护栏缺失' });
    await sendReport(mapped.base, device, await jpeg(browser, 2), { site_code: 'E001-P01', note: '压缩机房照明不足' });
    const { context, page } = await openPage(browser);
    await login(page, mapped.base, mapped.logins['union.e001']);
    const r = await page.goto(mapped.base + '/sites');
    assert.match(r.headers()['content-security-policy'], new RegExp(`img-src 'self' data: http://127.0.0.1:${tileServer.address().port}`));
    await page.waitForSelector('#map[data-drawn]');
    assert.equal(await page.getAttribute('#map', 'data-drawn'), '2', 'both placed entries are drawn');
    assert.equal(await page.locator('#map path.map-point').count(), 2);
    assert.equal(await page.locator('#map path.map-point.major').count(), 1);
    assert.ok(tiles > 0, 'tiles came from the configured server');
    assert.match(await page.textContent('.leaflet-control-attribution'), /© 测试瓦片 <b>x<\/b>/, 'the attribution is text');
    assert.match(await page.textContent('#map-note'), /无定位/, 'the demo entries without a place are counted');
    await page.locator('#map path.map-point.major').click();
    const link = page.locator('.leaflet-popup-content a');
    assert.match(await link.textContent(), /^E001-\d{4}-\d{4}$/);
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1');
    await shot(page, 'map');
    await Promise.all([page.waitForURL(/\/entries\//), link.click()]);
    assert.match(await page.textContent('main'), /储罐区护栏缺失/);
    clean(page);
    // The district sees both points; another enterprise's officer none of E001's.
    const district = await openPage(browser);
    await login(district.page, mapped.base, mapped.logins['district.admin']);
    const all = await district.page.request.get(mapped.base + '/sites/map.json');
    assert.equal((await all.json()).points.length, 2);
    await district.context.close();
    const other = await openPage(browser);
    await login(other.page, mapped.base, mapped.logins['union.e004']);
    const theirs = await other.page.request.get(mapped.base + '/sites/map.json');
    assert.equal((await theirs.json()).points.length, 0, 'outside the jurisdiction: nothing');
    await other.context.close();
    await context.close();
  } finally {
    mapped.stop();
    tileServer.close();
  }
  // The demo server of the other tests has no tile server: a list, and no map script.
  const { context, page } = await openPage(browser);
  await login(page, server.base, who('district.admin'));
  await page.goto(server.base + '/sites');
  assert.equal(await page.locator('#map').count(), 0);
  assert.equal(await page.locator('script').count(), 1);
  assert.ok(await page.locator('tbody tr').count() >= 1, 'the site points as a list');
  await context.close();
});
