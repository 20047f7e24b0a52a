// The campaign records' pages in a real Chromium (issue 15), against the real server binary:
// a town officer records a training and a drill (a refusal shown next to its field first),
// files the drill's finding as a hazard and follows the link to the ledger entry; the district
// reads the monthly overview and a town's report; the town submits a month that is over, the
// district reopens it with a reason (an empty one refused next to the field), the history
// shows both; a supervision visit is recorded from a draw and its finding filed; enterprise
// officers and the bureau get 403 on the monthly report and see no link to it; the workbench
// reminds of a report due or late (a server whose due day makes today fall in the reminder
// window). Screenshots are kept in tests/web/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, launch, openPage, login, shot, artifacts } from './harness.mjs';

// A district of our own with workers in the roster (the demo roster has none).
const ROSTER = `
[district]
name = "周村区（测试）"
[[towns]]
code = "T01"
name = "丝绸路街道"
[[towns]]
code = "T02"
name = "北郊镇"
[[enterprises]]
code = "E001"
name = "鲁中氯碱化工有限公司"
town = "T01"
industry = "hazardous_chemicals"
workshops = [{ name = "电解车间", teams = ["甲班", "乙班"] }, { name = "包装车间", teams = ["一班"] }]
[[enterprises]]
code = "E002"
name = "丝路纺织有限公司"
town = "T01"
industry = "other"
workshops = [{ name = "织布车间", teams = ["早班"] }]
[[enterprises]]
code = "E004"
name = "北郊耐火材料厂"
town = "T02"
industry = "building_materials"
workshops = [{ name = "窑炉车间", teams = ["一班"] }]
[[users]]
username = "qu"
password = "district-pass-1"
role = "district"
[[users]]
username = "zhen"
password = "town-pass-0001"
role = "town"
scope = "T01"
[[users]]
username = "qiye"
password = "enterprise-pass-1"
role = "enterprise"
scope = "E001"
[[users]]
username = "ju"
password = "bureau-pass-001"
role = "bureau"
[[workers]]
code = "W001"
name = "张三"
enterprise = "E001"
workshop = "电解车间"
team = "甲班"
[[workers]]
code = "W002"
name = "李四"
enterprise = "E001"
workshop = "电解车间"
team = "乙班"
[[workers]]
code = "W003"
name = "王五"
enterprise = "E001"
workshop = "包装车间"
team = "一班"
[[workers]]
code = "W101"
name = "赵六"
enterprise = "E002"
`;

const district = { user: 'qu', pass: 'district-pass-1' };
const town = { user: 'zhen', pass: 'town-pass-0001' };
const enterprise = { user: 'qiye', pass: 'enterprise-pass-1' };
const bureau = { user: 'ju', pass: 'bureau-pass-001' };

let server;
let browser;

before(async () => {
  server = await startServer({ roster: ROSTER });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Today and this month in the district's time zone. */
function shanghai(date = new Date()) {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
  return { day, month: day.slice(0, 7), dayOfMonth: Number(day.slice(8, 10)) };
}

/** The month before the current one, `YYYY-MM`. */
function previousMonth() {
  const { month } = shanghai();
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

function expected(page, status) {
  page.problems = page.problems.filter((p) => !p.includes(`status of ${status}`));
}

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page reported problems');
}

/** Asserts the page is no wider than its viewport. */
async function fits(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${what} is ${overflow} px wider than the window`);
}

test('a town officer records a training and a drill, files the drill\'s finding and follows it to the ledger', async () => {
  const { context, page } = await openPage(browser);
  await login(page, server.base, town);
  const nav = await page.textContent('header nav');
  for (const item of ['月报', '培训演练', '督导']) { assert.ok(nav.includes(item), `nav has ${item}`); }
  await Promise.all([page.waitForURL(/\/trainings$/), page.click('header nav a[href="/trainings"]')]);
  assert.match(await page.textContent('h1'), /培训演练/);
  assert.equal(await page.getAttribute('header nav a[href="/trainings"]', 'aria-current'), 'page');
  // Only the town's enterprises can be picked.
  const options = await page.locator('#t-enterprise option').allTextContents();
  assert.ok(options.some((o) => o.includes('E001')) && options.some((o) => o.includes('E002')));
  assert.ok(!options.some((o) => o.includes('E004')), 'another town\'s enterprise is not offered');

  // A training: an unknown worker is refused next to the attendees, the values kept.
  await page.click('details#new-training > summary');
  assert.equal(await page.locator('[data-drill-only]').isVisible(), false, 'drill fields hidden for a training');
  await page.selectOption('#t-enterprise', 'E001');
  await page.fill('#t-topic', '危险化学品泄漏处置培训');
  await page.fill('#t-hours', '2');
  await page.fill('#t-trainer', '区安监局 李工');
  await page.fill('#t-attendees', 'W001, W002\nW999');
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('details#new-training button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(page, 400);
  assert.equal(await page.locator('details#new-training').getAttribute('open'), '');
  assert.match(await page.textContent('.field.has-error'), /W999/);
  assert.equal(await page.inputValue('#t-topic'), '危险化学品泄漏处置培训', 'the values are kept');
  await shot(page, 'training-refused');
  await page.fill('#t-attendees', 'W001 W002');
  await Promise.all([page.waitForURL(/\/trainings\/[0-9a-f-]+\?done=training/), page.click('details#new-training button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已登记/);
  const attendees = await page.textContent('section[aria-labelledby=att]');
  assert.match(attendees, /张三/);
  assert.match(attendees, /李四/);

  // A drill with two teams and two findings.
  await page.goto(server.base + '/trainings');
  await page.click('details#new-training > summary');
  await page.selectOption('#t-enterprise', 'E001');
  await page.selectOption('#t-kind', 'drill');
  assert.equal(await page.locator('[data-drill-only]').isVisible(), true, 'drill fields shown for a drill');
  await page.fill('#t-topic', '液氯泄漏应急演练');
  await page.fill('#t-hours', '1.5');
  await page.fill('#t-attendees', 'W003');
  await page.fill('#t-outside', '4');
  await page.fill('#t-scenario', '液氯储罐阀门泄漏，班组紧急处置并疏散');
  await page.fill('#t-teams', '电解车间/甲班\n包装车间/一班');
  await page.fill('#t-findings', '应急喷淋装置水压不足\n疏散通道指示灯损坏');
  await Promise.all([page.waitForURL(/done=training/), page.click('details#new-training button[type=submit]')]);
  const drillUrl = page.url().split('?')[0];
  assert.match(await page.textContent('h1'), /应急演练/);
  assert.equal(await page.locator('form.file-finding').count(), 2, 'each finding has its filing form');
  await shot(page, 'training-detail-unfiled');

  // The first finding becomes a hazard; the record links to the entry.
  await page.selectOption('#cat-0', 'equipment_guarding');
  await page.selectOption('#sev-0', 'general');
  await Promise.all([page.waitForURL(/done=filed/), page.click('#finding-0 button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已登记为隐患/);
  assert.equal(await page.locator('form.file-finding').count(), 1, 'the filed one has no form any more');
  const link = page.locator('#finding-0 a[href^="/entries/"]');
  assert.match(await link.textContent(), /^E001-\d{4}-\d{4}$/);
  await shot(page, 'training-detail');
  await Promise.all([page.waitForURL(/\/entries\//), link.click()]);
  assert.match(await page.textContent('main'), /应急喷淋装置水压不足/);
  assert.match(await page.textContent('main'), /应急演练/);

  // Filing it again from a stale page is refused next to the finding.
  const csrf = await page.getAttribute('input[name=csrf]', 'value');
  const again = await page.request.post(`${drillUrl}/findings/0/file`, {
    form: { csrf, category: 'other', severity: 'general' }, headers: { origin: server.base } });
  assert.equal(again.status(), 409);
  assert.match(await again.text(), /已登记为隐患/);

  // The coverage: E001 behind the plan (one drill, a team and a worker missing).
  await page.goto(server.base + '/trainings');
  const row = page.locator('tr', { has: page.locator('a', { hasText: '鲁中氯碱化工有限公司' }) }).first();
  const text = await row.textContent();
  assert.match(text, /未达标/);
  assert.match(text, /王五/, 'the untrained worker is named');
  assert.match(text, /电解车间\/乙班/, 'the team not drilled is named');
  assert.equal(await page.locator('section[aria-labelledby=records] tbody tr').count(), 2);
  await shot(page, 'trainings');
  // The kind filter.
  await page.goto(server.base + '/trainings?kind=drill');
  assert.equal(await page.locator('section[aria-labelledby=records] tbody tr').count(), 1);
  // The Excel export.
  const xlsx = await page.request.get(server.base + await page.getAttribute('a[href^="/api/v1/trainings/export.xlsx"]', 'href'));
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml/);
  clean(page);
  await context.close();

  // The enterprise officer sees the records of their enterprise; the bureau has no link.
  const b = await openPage(browser);
  await login(b.page, server.base, bureau);
  assert.equal(await b.page.locator('header nav a[href="/trainings"]').count(), 0);
  for (const path of ['/trainings', '/visits']) {
    const r = await b.page.goto(server.base + path);
    assert.equal(r.status(), 200, `bureau ${path}: nothing to see, but no error`);
    assert.equal(await b.page.locator('details.action').count(), 0, `bureau ${path}: no form`);
  }
  clean(b.page);
  await b.context.close();
  const e = await openPage(browser);
  await login(e.page, server.base, enterprise);
  assert.ok((await e.page.textContent('header nav')).includes('培训演练'));
  assert.ok(!(await e.page.textContent('header nav')).includes('月报'));
  await e.page.goto(server.base + '/trainings');
  assert.equal(await e.page.locator('section[aria-labelledby=records] tbody tr').count(), 2);
  clean(e.page);
  await e.context.close();
});

test('the district reads the monthly overview; a town submits, the district reopens with a reason', async () => {
  const month = previousMonth();
  const d = await openPage(browser);
  await login(d.page, server.base, district);
  await Promise.all([d.page.waitForURL(/\/monthly$/), d.page.click('header nav a[href="/monthly"]')]);
  assert.match(await d.page.textContent('h1'), new RegExp(`月报（${month}）`));
  const rows = d.page.locator('section[aria-labelledby=towns] tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await rows.first().textContent(), /未报送/);
  assert.match(await d.page.textContent('tfoot'), /全区合计/);
  for (const head of ['发现一般隐患', '发现重大隐患', '本月整改销号', '整改率', '月末未整改']) {
    assert.ok((await d.page.textContent('thead')).includes(head), head);
  }
  await shot(d.page, 'monthly-overview-roster');
  await Promise.all([d.page.waitForURL(new RegExp(`/monthly/${month}/T01$`)), d.page.click('a[href$="/T01"]')]);
  const figures = await d.page.textContent('section[aria-labelledby=figs]');
  for (const label of ['发现一般隐患', '发现重大隐患', '本月整改销号', '整改率', '月末未整改', '其中逾期', '其中挂牌督办',
    '合理化建议', '建议采纳', '参与职工', '安全培训（次）', '培训人数', '应急演练（次）']) {
    assert.ok(figures.includes(label), `the report shows ${label}`);
  }
  assert.equal(await d.page.locator('details#reopen').count(), 0, 'nothing to reopen in a draft');
  assert.equal(await d.page.locator('details#submit').count(), 0, 'the district does not submit');
  const xlsx = await d.page.request.get(server.base + await d.page.getAttribute('a[href$="export.xlsx"]', 'href'));
  assert.equal(xlsx.status(), 200);
  const file = join(artifacts, 'monthly.xlsx');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, await xlsx.body());
  const strings = execFileSync('python3', ['-c',
    'import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/sharedStrings.xml").decode())', file]).toString();
  assert.match(strings, /丝绸路街道/);
  clean(d.page);

  // The town lands on its own report; the month is over, so it can submit.
  const t = await openPage(browser);
  await login(t.page, server.base, town);
  await Promise.all([t.page.waitForURL(new RegExp(`/monthly/${month}/T01$`)), t.page.click('header nav a[href="/monthly"]')]);
  assert.equal(await t.page.getAttribute('header nav a[href="/monthly"]', 'aria-current'), 'page');
  await shot(t.page, 'monthly-town-submit');
  await t.page.fill('#remarks', '本月组织隐患排查 3 次，重大隐患已全部落实五到位。');
  await Promise.all([t.page.waitForURL(/done=submit/), t.page.click('details#submit button[type=submit]')]);
  assert.match(await t.page.textContent('.flash.ok'), /已报送/);
  assert.match(await t.page.textContent('h1'), /已报送/);
  assert.match(await t.page.textContent('.timeline'), /报送/);
  assert.equal(await t.page.locator('details#submit').count(), 0, 'submitted once');
  // This month is not over: no form, and the page says why.
  await t.page.goto(`${server.base}/monthly?month=${shanghai().month}`);
  assert.match(await t.page.textContent('main'), /本月尚未结束/);
  assert.equal(await t.page.locator('details#submit').count(), 0);
  clean(t.page);

  // The district sees it submitted, reopens it: an empty reason is refused next to the field.
  await d.page.goto(`${server.base}/monthly?month=${month}`);
  assert.match(await d.page.locator('section[aria-labelledby=towns] tbody tr').first().textContent(), /已报送/);
  await d.page.goto(`${server.base}/monthly/${month}/T01`);
  await d.page.click('details#reopen > summary');
  await d.page.fill('#reason', '   ');
  const [refused] = await Promise.all([d.page.waitForNavigation(), d.page.click('details#reopen button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(d.page, 400);
  assert.match(await d.page.textContent('details#reopen .field.has-error .error'), /退回原因/);
  await shot(d.page, 'monthly-reopen-refused');
  await d.page.fill('#reason', '培训人数与签到表不符，请核实后重报');
  await Promise.all([d.page.waitForURL(/done=reopen/), d.page.click('details#reopen button[type=submit]')]);
  assert.match(await d.page.textContent('.flash.ok'), /已退回/);
  assert.match(await d.page.textContent('h1'), /未报送/);
  const history = await d.page.textContent('.timeline');
  assert.match(history, /报送.*本月组织隐患排查/s);
  assert.match(history, /退回.*培训人数与签到表不符/s);
  assert.match(history, /zhen/);
  assert.match(history, /qu/);
  await shot(d.page, 'monthly-town-history');
  clean(d.page);
  // The town can submit again.
  await t.page.goto(`${server.base}/monthly/${month}/T01`);
  assert.equal(await t.page.locator('details#submit').count(), 1);
  await t.context.close();
  await d.context.close();

  // Enterprise officers and the bureau have no monthly report.
  for (const who of [enterprise, bureau]) {
    const o = await openPage(browser);
    await login(o.page, server.base, who);
    assert.equal(await o.page.locator('header nav a[href="/monthly"]').count(), 0, `${who.user}: no link`);
    const r = await o.page.goto(`${server.base}/monthly`);
    assert.equal(r.status(), 403, `${who.user} /monthly`);
    assert.match(await o.page.textContent('main'), /不能执行/);
    const r2 = await o.page.goto(`${server.base}/monthly/${month}/T01`);
    assert.equal(r2.status(), 403, `${who.user} a town's report`);
    expected(o.page, 403);
    clean(o.page);
    await o.context.close();
  }
});

test('a supervision visit is recorded from a draw and its finding filed as a hazard', async () => {
  const { context, page } = await openPage(browser);
  await login(page, server.base, district);
  await Promise.all([page.waitForURL(/\/visits$/), page.click('header nav a[href="/visits"]')]);
  assert.match(await page.textContent('h1'), /督导检查/);
  // High-risk first, not visited marked.
  const first = await page.locator('section[aria-labelledby=cov] tbody tr').first().textContent();
  assert.match(first, /高危/);
  assert.equal(await page.locator('tr.unvisited').count(), 3);
  await Promise.all([page.waitForURL(/\/draws$/), page.click('a[href="/draws"]')]);
  assert.equal(await page.getAttribute('header nav a[href="/visits"]', 'aria-current'), 'page');
  await page.fill('#n', '2');
  await page.fill('#seed', '20261120');
  await Promise.all([page.waitForURL(/\/draws$/), page.click('form[action="/draws"] button[type=submit]')]);
  const visitLink = page.locator('ul.drawn a[href*="new="]').first();
  const href = await visitLink.getAttribute('href');
  const code = href.match(/new=(E\d+)/)[1];
  const draw = href.match(/draw=([0-9a-f-]+)/)[1];
  await shot(page, 'draws-with-visits');
  await Promise.all([page.waitForURL(/\/visits\?new=/), visitLink.click()]);
  assert.equal(await page.locator('details#new-visit').getAttribute('open'), '');
  assert.equal(await page.inputValue('#v-enterprise'), code, 'the drawn enterprise is chosen');
  assert.equal(await page.inputValue('#v-draw'), draw, 'the draw is chosen');
  // The team is required: blank lines are refused next to the field.
  await page.fill('#v-team', ' \n ');
  await page.fill('#v-checked', '隐患台账、五到位落实、应急预案');
  await page.fill('#v-findings', '消防通道堆放杂物\n\n');
  await page.selectOption('#v-rating', 'fair');
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('details#new-visit button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(page, 400);
  assert.match(await page.textContent('.field.has-error'), /督导组成员/);
  assert.equal(await page.inputValue('#v-draw'), draw, 'the draw is kept');
  await page.fill('#v-team', '区总工会 张三\n区安监局 李四');
  await Promise.all([page.waitForURL(/\/visits\/[0-9a-f-]+\?done=visit/), page.click('details#new-visit button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已登记/);
  assert.match(await page.textContent('main'), /较好/);
  assert.match(await page.textContent('main'), /区安监局 李四/);
  await page.selectOption('#cat-0', 'fixed_position');
  await Promise.all([page.waitForURL(/done=filed/), page.click('#finding-0 button[type=submit]')]);
  const entry = page.locator('#finding-0 a[href^="/entries/"]');
  assert.match(await entry.textContent(), new RegExp(`^${code}-\\d{4}-\\d{4}$`));
  await shot(page, 'visit-detail');
  await Promise.all([page.waitForURL(/\/entries\//), entry.click()]);
  assert.match(await page.textContent('main'), /消防通道堆放杂物/);
  await page.goto(server.base + '/visits');
  assert.equal(await page.locator('tr.unvisited').count(), 2, 'one enterprise fewer to visit');
  assert.equal(await page.locator('section[aria-labelledby=list] tbody tr').count(), 1);
  await shot(page, 'visits');
  clean(page);
  await context.close();

  // The enterprise officer reads the visits of their enterprise only, and records none.
  const e = await openPage(browser);
  await login(e.page, server.base, enterprise);
  assert.equal(await e.page.locator('header nav a[href="/visits"]').count(), 0);
  const r = await e.page.goto(server.base + '/visits');
  assert.equal(r.status(), 200);
  assert.equal(await e.page.locator('details#new-visit').count(), 0);
  assert.equal(await e.page.locator('section[aria-labelledby=cov] tbody tr').count(), 1);
  clean(e.page);
  await e.context.close();
});

test('the new pages fit a 360 px phone and read in English', async () => {
  const { context, page } = await openPage(browser, { viewport: { width: 360, height: 740 } });
  await login(page, server.base, district);
  const month = previousMonth();
  for (const [path, name] of [['/monthly', 'phone-monthly'], [`/monthly/${month}/T01`, 'phone-monthly-town'],
    ['/trainings', 'phone-trainings'], ['/visits', 'phone-visits'], ['/draws', 'phone-draws']]) {
    await page.goto(server.base + path);
    await fits(page, path);
    await shot(page, name);
  }
  // A record of the first test (when it ran), and the forms opened.
  await page.goto(server.base + '/trainings');
  if (await page.locator('section[aria-labelledby=records] tbody tr').count() > 0) {
    await Promise.all([page.waitForURL(/\/trainings\/[0-9a-f-]+$/), page.click('section[aria-labelledby=records] tbody tr a >> nth=0')]);
    await fits(page, 'a training');
    await shot(page, 'phone-training-detail');
  }
  await page.goto(server.base + '/trainings#new-training');
  await page.selectOption('#t-kind', 'drill');
  await fits(page, 'the training form');
  await shot(page, 'phone-training-form');
  await page.goto(server.base + '/visits?new=E001#new-visit');
  await fits(page, 'the visit form');
  await shot(page, 'phone-visit-form');
  // The header at 1366 px stays on one line in both languages.
  await page.setViewportSize({ width: 1366, height: 768 });
  for (const lang of ['zh', 'en']) {
    await page.goto(`${server.base}/lang?to=${lang}&back=/monthly`);
    const height = await page.evaluate(() => document.querySelector('header.top').getBoundingClientRect().height);
    assert.ok(height < 70, `${lang}: the header is one row (${height} px)`);
    await shot(page, `monthly-overview-${lang}`);
  }
  // English: no Chinese left on the pages but the data's names.
  for (const path of ['/monthly', `/monthly/${month}/T01`, '/trainings', '/visits', '/draws']) {
    await page.goto(server.base + path);
    const text = await page.evaluate(() => {
      const clone = document.querySelector('main').cloneNode(true);
      // Names from the roster and the records are data, not interface.
      clone.querySelectorAll('td, th[scope=row], option, .timeline, dd, h1, h2, code').forEach((n) => n.remove());
      return clone.textContent;
    });
    assert.doesNotMatch(text, /[\u4e00-\u9fff]/, `${path}: untranslated text: ${text.match(/.{0,20}[\u4e00-\u9fff]+.{0,20}/)?.[0]}`);
  }
  await page.goto(server.base + '/trainings');
  await shot(page, 'trainings-english');
  await page.goto(`${server.base}/monthly/${month}/T01`);
  await shot(page, 'monthly-town-english');
  await page.goto(`${server.base}/lang?to=zh&back=/`);
  clean(page);
  await context.close();
});

test('the workbench reminds the town and the district of the monthly report', async () => {
  // The due day of this server puts today inside the reminder window (from five days before
  // the due day): today itself, or the 28th at most, which makes a late month.
  const { dayOfMonth } = shanghai();
  const dueDay = Math.min(dayOfMonth, 28);
  const late = dayOfMonth > dueDay;
  const reminded = await startServer({ args: ['--monthly-due-day', String(dueDay)] });
  try {
    const [, m] = previousMonth().split('-').map(Number);
    const t = await openPage(browser);
    await login(t.page, reminded.base, reminded.logins['town.t01']);
    const notice = t.page.locator('#monthly-reminder');
    assert.equal(await notice.count(), 1, 'the town is reminded');
    const text = await notice.textContent();
    assert.match(text, late ? new RegExp(`${m} 月月报已逾期`) : new RegExp(`${m} 月月报请于 \\d+ 月 ${dueDay} 日前报送`));
    await shot(t.page, 'workbench-reminder');
    await Promise.all([t.page.waitForURL(/\/monthly\/\d{4}-\d{2}\/T01$/), notice.locator('a').click()]);
    await t.page.fill('#remarks', '按时报送');
    await Promise.all([t.page.waitForURL(/done=submit/), t.page.click('details#submit button[type=submit]')]);
    await t.page.goto(reminded.base + '/');
    assert.equal(await t.page.locator('#monthly-reminder').count(), 0, 'no reminder once submitted');
    clean(t.page);
    await t.context.close();

    const d = await openPage(browser);
    await login(d.page, reminded.base, reminded.logins['district.admin']);
    const dn = await d.page.textContent('#monthly-reminder');
    assert.match(dn, /北郊镇/, 'the district sees the town still missing');
    assert.doesNotMatch(dn, /丝绸路街道/, 'not the one that submitted');
    await shot(d.page, 'workbench-reminder-district');
    // Enterprise officers are not reminded.
    const e = await openPage(browser);
    await login(e.page, reminded.base, reminded.logins['union.e001']);
    assert.equal(await e.page.locator('#monthly-reminder').count(), 0);
    await e.context.close();
    clean(d.page);
    await d.context.close();
  } finally {
    reminded.stop();
  }
  // Past the due day (the 1st of this month), the town is told it is late.
  if (dayOfMonth > 1) {
    const overdue = await startServer({ args: ['--monthly-due-day', '1'] });
    try {
      const t = await openPage(browser);
      await login(t.page, overdue.base, overdue.logins['town.t02']);
      assert.match(await t.page.textContent('#monthly-reminder'), /月报已逾期（截止 \d+ 月 1 日）/);
      assert.match(await t.page.getAttribute('#monthly-reminder', 'class'), /late/);
      await shot(t.page, 'workbench-reminder-late');
      clean(t.page);
      await t.context.close();
    } finally {
      overdue.stop();
    }
  }
});
