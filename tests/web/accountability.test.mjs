// The accountability pages in a real Chromium (issue 16), against the real server binary: the
// bureau accepts an escalation (挂牌督办) with a unit and a deadline, the 挂牌 badge shows on the
// entry and in the ledger list, the enterprise has no verify form and is refused when it posts
// one anyway, the bureau verifies and lifts it (摘牌); the bureau declines another with a reason
// (an empty one refused next to the field; a script payload in it shown as text); a town
// officer reclassifies with a reason (in the history) and transfers an entry to another
// enterprise; an officer files an entry with a photo uploaded from the browser (re-encoded by
// the photo pipeline); the district grants a reward, records it paid and downloads the
// register as Excel, read back (an anonymous finder is 匿名, never named); the notices page
// of the demo district lists overdue entries, each linking to its page; suggestions are reviewed
// (under review, not adopted only with a reason, then final) and the phone hears the reply.
// Screenshots are kept
// in tests/web/artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startServer, launch, openPage, login, shot, artifacts, api, token, jpeg, sendReport, withoutMetadata } from './harness.mjs';

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
workshops = [{ name = "电解车间", teams = ["甲班"] }]
[[enterprises]]
code = "E002"
name = "丝路纺织有限公司"
town = "T01"
industry = "other"
site_points = [{ code = "E002-P01", name = "成品仓库", lat = 36.7990, lon = 117.8650, radius_m = 40 }]
[[enterprises]]
code = "E004"
name = "北郊耐火材料厂"
town = "T02"
industry = "building_materials"
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
[[enrollment_codes]]
code = "E001-JOIN"
enterprise = "E001"
`;

const district = { user: 'qu', pass: 'district-pass-1' };
const town = { user: 'zhen', pass: 'town-pass-0001' };
const enterprise = { user: 'qiye', pass: 'enterprise-pass-1' };
const bureau = { user: 'ju', pass: 'bureau-pass-001' };
const EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>';

let server;
let browser;
let tokens;
let phone;
let named;
let hidden;
let seed = 100;

before(async () => {
  server = await startServer({ roster: ROSTER });
  browser = await launch();
  tokens = {
    qu: await token(server.base, district), zhen: await token(server.base, town),
    qiye: await token(server.base, enterprise), ju: await token(server.base, bureau),
  };
  const enroll = async (name, worker) => {
    const r = await api(server.base, '', '/api/v1/enroll', { method: 'POST',
      body: { code: 'E001-JOIN', device_name: name, ...(worker ? { worker } : {}) } });
    assert.equal(r.status, 200, r.text);
    return r.json.token;
  };
  phone = await enroll('某人的手机');
  named = await enroll('张三的手机', 'W001');
  // Used only for anonymous reports: its name must never show.
  hidden = await enroll('不愿具名的手机');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page reported problems');
}

function expected(page, status) {
  page.problems = page.problems.filter((p) => !p.includes(`status of ${status}`));
}

/** A district date `days` from today, `YYYY-MM-DD`. */
function day(days = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + days * 86400000));
}

/** One step through the API; asserts it went through. */
async function step(who, id, action, body = {}) {
  const r = await api(server.base, tokens[who], `/api/v1/ledger/${id}/${action}`, { method: 'POST', body });
  assert.ok([200, 201].includes(r.status), `${action} by ${who}: ${r.status} ${r.text}`);
  return r.json;
}

const PLAN = () => ({ responsible: '设备科 王工', measures: '更换阀门密封件', funds: '800.00', deadline: day(10),
  contingency: '关闭上游阀门，设置警戒区', level: 'workshop' });

/** A new hazard from a phone of E001; its entry id. */
async function hazard(fields = {}, device = phone) {
  const sent = await sendReport(server.base, device, await jpeg(browser, seed++), fields);
  assert.ok(sent.entry_id, JSON.stringify(sent));
  return sent.entry_id;
}

/** Marks an entry rectified through the API, with an after-photo, by `who`. */
async function rectify(who, id) {
  const after = withoutMetadata(await jpeg(browser, seed++));
  const sha = createHash('sha256').update(after).digest('hex');
  const put = await fetch(`${server.base}/api/v1/photos/${sha}`, { method: 'PUT',
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'image/jpeg' }, body: after });
  assert.ok([200, 201].includes(put.status), `after-photo: ${put.status}`);
  await step(who, id, 'rectified', { note: '已更换密封件', photos: [sha] });
}

/** A form post from the page itself (its CSRF token, our own origin); the response. */
async function post(page, path, form) {
  const csrf = await page.getAttribute('input[name=csrf]', 'value');
  return page.request.post(server.base + path, { form: { csrf, ...form }, headers: { origin: server.base }, maxRedirects: 0 });
}

test('the bureau accepts an escalation: 挂牌 in the entry and the ledger, the enterprise cannot close it, the bureau lifts it', async () => {
  const id = await hazard({ severity: 'major', note: '液氯储罐区安全阀失效' });
  await step('qiye', id, 'confirm', PLAN());
  await step('zhen', id, 'escalate', { reason: '企业整改不力，提请挂牌' });

  const b = await openPage(browser);
  await login(b.page, server.base, bureau);
  // The bureau's notices name the escalation; it leads to the entry.
  await Promise.all([b.page.waitForURL(/\/notices$/), b.page.click('header nav a[href="/notices"]')]);
  const link = b.page.locator(`#nt-escalated_to_me a[href="/entries/${id}"]`);
  assert.equal(await link.count(), 1, 'the escalation is among the notices');
  await Promise.all([b.page.waitForURL(new RegExp(`/entries/${id}$`)), link.click()]);
  assert.match(await b.page.textContent('h1'), /待安监局受理/);
  // Only the bureau's decisions: no confirm, rectify, reclassify or transfer form.
  for (const form of ['rectified', 'merge', 'reclassify', 'transfer', 'escalate']) {
    assert.equal(await b.page.locator(`details#${form}`).count(), 0, `bureau: no ${form} form`);
  }
  await b.page.click('details#accept_supervision > summary');
  await b.page.fill('#sv-unit', '区安监局执法大队');
  await b.page.fill('#sv-deadline', day(20));
  await Promise.all([b.page.waitForURL(/done=accept_supervision/), b.page.click('details#accept_supervision button[type=submit]')]);
  assert.match(await b.page.textContent('.flash.ok'), /挂牌督办/);
  assert.equal((await b.page.textContent('h1 .badge.sv-accepted')).trim(), '挂牌');
  const card = await b.page.textContent('section.supervision');
  assert.match(card, /区安监局执法大队/);
  assert.match(card, new RegExp(day(20)));
  assert.match(await b.page.textContent('.timeline'), /安监局挂牌督办/);
  await shot(b.page, 'acct-entry-listed');

  // The 挂牌 badge in the town's ledger list.
  const t = await openPage(browser);
  await login(t.page, server.base, town);
  await t.page.goto(server.base + '/ledger');
  const row = t.page.locator('tbody tr', { has: t.page.locator(`a[href="/entries/${id}"]`) });
  assert.equal((await row.locator('.badge.sv-accepted').textContent()).trim(), '挂牌');
  await shot(t.page, 'acct-ledger-listed');

  // Rectified by the enterprise: it has no verify form, and posting one is refused.
  await rectify('qiye', id);
  const e = await openPage(browser);
  await login(e.page, server.base, enterprise);
  await e.page.goto(`${server.base}/entries/${id}`);
  assert.equal(await e.page.locator('details#verify').count(), 0, 'the enterprise sees no verify form');
  assert.match(await e.page.textContent('section.supervision'), /企业不能自行销号/);
  const refused = await post(e.page, `/entries/${id}/act/verify`, { accepted: 'true' });
  assert.equal(refused.status(), 403);
  assert.match(await refused.text(), /安监局验收摘牌/);
  // Nor has the town (it is the bureau's now).
  await t.page.goto(`${server.base}/entries/${id}`);
  assert.equal(await t.page.locator('details#verify').count(), 0, 'the town sees no verify form');
  clean(e.page);
  await e.context.close();

  // The bureau verifies and lifts it.
  await b.page.goto(`${server.base}/entries/${id}`);
  await b.page.click('details#verify > summary');
  assert.match(await b.page.textContent('details#verify button[value=true]'), /摘牌/);
  await Promise.all([b.page.waitForURL(/done=verify_accept/), b.page.click('details#verify button[value=true]')]);
  assert.equal((await b.page.textContent('h1 .badge.sv-lifted')).trim(), '已摘牌');
  assert.match(await b.page.textContent('h1'), /已销号|已整改销号|销号/);
  clean(b.page);
  clean(t.page);
  await b.context.close();
  await t.context.close();
});

test('the bureau declines an escalation with a reason; the reason is shown as text, never run', async () => {
  const id = await hazard({ severity: 'major', note: '配电室门未上锁' });
  await step('zhen', id, 'escalate', { reason: '提请挂牌' });
  const b = await openPage(browser);
  await login(b.page, server.base, bureau);
  await b.page.goto(`${server.base}/entries/${id}`);
  await b.page.click('details#decline_supervision > summary');
  // A blank reason is refused next to the field.
  await b.page.fill('#sv-reason', '   ');
  const [refused] = await Promise.all([b.page.waitForNavigation(), b.page.click('details#decline_supervision button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(b.page, 400);
  assert.equal(await b.page.locator('details#decline_supervision').getAttribute('open'), '');
  assert.match(await b.page.textContent('details#decline_supervision .field.has-error .error'), /理由/);
  await shot(b.page, 'acct-decline-refused');
  await b.page.fill('#sv-reason', `企业已在整改，暂不挂牌${EVIL}`);
  await Promise.all([b.page.waitForURL(/\/notices\?done=decline_supervision/), b.page.click('details#decline_supervision button[type=submit]')]);
  assert.match(await b.page.textContent('.flash.ok'), /不予挂牌/);
  // It left the bureau's sight.
  const gone = await b.page.goto(`${server.base}/entries/${id}`);
  assert.equal(gone.status(), 404);
  expected(b.page, 404);
  clean(b.page);
  await b.context.close();

  const t = await openPage(browser);
  await login(t.page, server.base, town);
  await t.page.goto(`${server.base}/entries/${id}`);
  assert.equal((await t.page.textContent('h1 .badge.sv-declined')).trim(), '安监局不予挂牌');
  const card = await t.page.textContent('section.supervision');
  assert.ok(card.includes(EVIL), 'the reason is shown as the text it is');
  assert.ok((await t.page.textContent('.timeline')).includes(EVIL));
  assert.equal(await t.page.locator('script').count(), 1, 'only our own script');
  assert.equal(await t.page.locator('img[src=x]').count(), 0, 'no injected image');
  await shot(t.page, 'acct-entry-declined');
  clean(t.page);
  await t.context.close();
});

test('a town officer reclassifies with a reason and transfers an entry; the enterprise has neither form', async () => {
  const id = await hazard({ severity: 'general', category: 'ppe', note: '员工未戴防护面罩' });
  const e = await openPage(browser);
  await login(e.page, server.base, enterprise);
  await e.page.goto(`${server.base}/entries/${id}`);
  assert.equal(await e.page.locator('details#reclassify').count(), 0, 'the enterprise does not reclassify');
  assert.equal(await e.page.locator('details#transfer').count(), 0, 'the enterprise does not transfer');
  assert.equal(await e.page.locator('details#confirm').count(), 1, 'but confirms');
  clean(e.page);
  await e.context.close();

  const { context, page } = await openPage(browser);
  await login(page, server.base, town);
  await page.goto(`${server.base}/entries/${id}`);
  await page.click('details#reclassify > summary');
  assert.equal(await page.inputValue('#rc-category'), 'ppe', 'the current category is chosen');
  await page.selectOption('#rc-category', 'occupational_health');
  await page.selectOption('#rc-severity', 'major');
  await page.fill('#rc-reason', '  ');
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('details#reclassify button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(page, 400);
  assert.match(await page.textContent('details#reclassify .field.has-error .error'), /理由/);
  await page.fill('#rc-reason', '现场复核：粉尘浓度超标，属职业病危害');
  await page.selectOption('#rc-category', 'occupational_health');
  await page.selectOption('#rc-severity', 'major');
  await Promise.all([page.waitForURL(/done=reclassify/), page.click('details#reclassify button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已调整/);
  assert.ok(await page.locator('h1 .badge.major').count() === 1, 'major now');
  const history = await page.textContent('.timeline');
  assert.match(history, /调整类别\/等级/);
  assert.match(history, /现场复核：粉尘浓度超标，属职业病危害/);
  assert.match(history, /一般隐患 → 重大隐患/);
  await shot(page, 'acct-reclassified');

  // Transfer to E002 (a hazard at the boundary): a new number there, the reason recorded.
  await page.click('details#transfer > summary');
  const choices = await page.locator('#tf-enterprise option').allTextContents();
  assert.ok(choices.some((o) => o.includes('E002')), 'E002 offered');
  assert.ok(!choices.some((o) => o.includes('E001')), 'not its own enterprise');
  assert.ok(!choices.some((o) => o.includes('E004')), 'not another town\'s');
  await page.selectOption('#tf-enterprise', 'E002');
  await page.fill('#tf-reason', '隐患位于两厂共用围墙，属丝路纺织管理');
  await Promise.all([page.waitForURL(/done=transfer/), page.click('details#transfer button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已移交/);
  assert.match(await page.textContent('h1'), /E002-\d{4}-\d{4}/);
  assert.match(await page.textContent('.timeline'), /移交转入[\s\S]*隐患位于两厂共用围墙/);
  await shot(page, 'acct-transferred');
  clean(page);
  await context.close();
});

test('an officer files an entry with a photo uploaded from the browser', async () => {
  const { context, page } = await openPage(browser);
  await login(page, server.base, town);
  await page.goto(server.base + '/ledger');
  await Promise.all([page.waitForURL(/\/ledger\/new$/), page.click('#file-entry')]);
  const options = await page.locator('#ne-enterprise option').allTextContents();
  assert.ok(options.some((o) => o.includes('E001')) && options.some((o) => o.includes('E002')));
  assert.ok(!options.some((o) => o.includes('E004')), 'only the town\'s enterprises');
  const photo = await jpeg(browser, 7);
  await page.selectOption('#ne-enterprise', 'E002');
  await page.selectOption('#ne-source', 'hotline');
  await page.selectOption('#ne-category', 'fixed_position');
  await page.selectOption('#ne-severity', 'general');
  await page.fill('#ne-note', '   ');
  await page.setInputFiles('#ne-photos', { name: 'hotline.jpg', mimeType: 'image/jpeg', buffer: photo });
  // A blank note is refused next to it, the choices kept.
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('#new-entry button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(page, 400);
  assert.match(await page.textContent('.field.has-error .error'), /问题描述|描述/);
  assert.equal(await page.inputValue('#ne-enterprise'), 'E002', 'the values are kept');
  assert.equal(await page.inputValue('#ne-source'), 'hotline');
  await shot(page, 'acct-new-entry-refused');
  await page.fill('#ne-note', '热线举报：仓库消防通道堆放布匹');
  // A site point of another enterprise is refused next to its field.
  await page.fill('#ne-site', 'E001-P99');
  await page.setInputFiles('#ne-photos', { name: 'hotline.jpg', mimeType: 'image/jpeg', buffer: photo });
  const [wrong] = await Promise.all([page.waitForNavigation(), page.click('#new-entry button[type=submit]')]);
  assert.equal(wrong.status(), 400);
  expected(page, 400);
  assert.match(await page.textContent('.field.has-error .error'), /关键点位 E001-P99/);
  assert.equal(await page.inputValue('#ne-note'), '热线举报：仓库消防通道堆放布匹');
  await page.fill('#ne-site', 'E002-P01');
  await page.setInputFiles('#ne-photos', { name: 'hotline.jpg', mimeType: 'image/jpeg', buffer: photo });
  await Promise.all([page.waitForURL(/\/entries\/[0-9a-f-]+\?done=filed/), page.click('#new-entry button[type=submit]')]);
  assert.match(await page.textContent('main'), /E002-P01/, 'the site point is on the entry');
  assert.match(await page.textContent('.flash.ok'), /已登记隐患/);
  assert.match(await page.textContent('h1'), /E002-\d{4}-\d{4}/);
  const main = await page.textContent('main');
  assert.match(main, /热线举报：仓库消防通道堆放布匹/);
  assert.match(await page.textContent('.timeline'), /热线举报，由 zhen 登记/);
  // The photo went through the pipeline: kept re-encoded (another file), and it shows.
  const img = page.locator('.photos img').first();
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => { const i = document.querySelector('.photos img'); return i && i.complete && i.naturalWidth > 0; });
  const full = await img.getAttribute('data-full');
  const kept = full.split('/').pop();
  assert.notEqual(kept, createHash('sha256').update(photo).digest('hex'), 'the photo was re-encoded, not kept as sent');
  await shot(page, 'acct-filed');
  clean(page);
  await context.close();

  // The bureau files nothing.
  const b = await openPage(browser);
  await login(b.page, server.base, bureau);
  const r = await b.page.goto(server.base + '/ledger/new');
  assert.equal(r.status(), 403);
  expected(b.page, 403);
  await b.page.goto(server.base + '/ledger');
  assert.equal(await b.page.locator('#file-entry').count(), 0);
  clean(b.page);
  await b.context.close();
});

test('the district grants rewards, records one paid and downloads the register as Excel', async () => {
  // A named finder's and an anonymous finder's major hazards, closed.
  const byName = await hazard({ severity: 'major', note: '反应釜压力表失灵' }, named);
  const byNobody = await hazard({ severity: 'major', note: '氯气管道法兰渗漏', anonymous: true }, hidden);
  for (const id of [byName, byNobody]) {
    await step('qiye', id, 'confirm', PLAN());
    await rectify('qiye', id);
    await step('zhen', id, 'verify', { accepted: true });
  }
  const numbers = {};
  for (const [k, id] of Object.entries({ byName, byNobody })) {
    numbers[k] = (await api(server.base, tokens.qu, `/api/v1/ledger/${id}`)).json.number;
  }

  const { context, page } = await openPage(browser);
  await login(page, server.base, district);
  await page.goto(server.base + '/rewards');
  await Promise.all([page.waitForURL(/\/rewards\/register$/), page.click('a[href="/rewards/register"]')]);
  assert.match(await page.textContent('h1'), /奖励发放登记/);
  const subject = (id) => `hazard:${id}`;
  // A bad amount is refused next to it.
  await page.selectOption('#rg-subject', subject(byName));
  await page.fill('#rg-amount', '五百');
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('#grant button[type=submit]')]);
  assert.equal(refused.status(), 400);
  expected(page, 400);
  assert.match(await page.textContent('#grant .field.has-error .error'), /金额/);
  await page.selectOption('#rg-subject', subject(byName));
  await page.fill('#rg-amount', '500');
  await Promise.all([page.waitForURL(/done=grant/), page.click('#grant button[type=submit]')]);
  assert.match(await page.textContent('.flash.ok'), /已登记发放/);
  await page.selectOption('#rg-subject', subject(byNobody));
  await page.fill('#rg-amount', '300.50');
  await Promise.all([page.waitForURL(/done=grant/), page.click('#grant button[type=submit]')]);
  // Granted once: neither is offered again.
  const left = await page.locator('#rg-subject option').allTextContents().catch(() => []);
  assert.ok(!left.some((o) => o.includes(numbers.byName) || o.includes(numbers.byNobody)), 'no reward twice');

  const rowOf = (n) => page.locator('table.register tbody tr', { has: page.locator('td', { hasText: n }) });
  const namedRow = rowOf(numbers.byName);
  assert.match(await namedRow.textContent(), /张三（W001）/);
  assert.match(await namedRow.textContent(), /500\.00/);
  assert.match(await namedRow.textContent(), /qu/);
  const anonRow = rowOf(numbers.byNobody);
  assert.match(await anonRow.textContent(), /匿名/);
  assert.match(await anonRow.textContent(), /凭兑奖码兑付/);
  assert.doesNotMatch(await page.textContent('main'), /不愿具名的手机/, 'the anonymous finder is never named');
  assert.equal(await anonRow.locator('form.paid').count(), 0, 'an anonymous reward is paid against its code');

  await shot(page, 'acct-register-unpaid');
  // Paid.
  await namedRow.locator('input[name=paid_on]').fill(day(0));
  await Promise.all([page.waitForURL(/done=paid/), namedRow.locator('button[type=submit]').click()]);
  assert.match(await page.textContent('.flash.ok'), /已登记兑付/);
  const paidRow = rowOf(numbers.byName);
  assert.match(await paidRow.textContent(), new RegExp(day(0)));
  assert.equal(await paidRow.locator('form.paid').count(), 0);
  await shot(page, 'acct-register');

  // The Excel export, read back.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/rewards/register.xlsx"]')]);
  const file = join(artifacts, 'reward-register.xlsx');
  await download.saveAs(file);
  const read = (part) => execFileSync('python3', ['-c',
    'import sys,zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())', file, part]).toString();
  const strings = read('xl/sharedStrings.xml');
  for (const s of ['获奖人', '金额（元）', '兑付日期', numbers.byName, numbers.byNobody, '张三', 'W001', '匿名 / anonymous', day(0)]) {
    assert.ok(strings.includes(s), `the register holds ${s}`);
  }
  assert.ok(!strings.includes('不愿具名的手机'), 'no anonymous finder named in the export');
  assert.match(read('xl/workbook.xml'), /奖励发放登记/);
  clean(page);
  await context.close();

  // A town officer reads the register but grants nothing.
  const t = await openPage(browser);
  await login(t.page, server.base, town);
  await t.page.goto(server.base + '/rewards/register');
  assert.equal(await t.page.locator('#grant').count(), 0);
  assert.equal(await t.page.locator('form.paid').count(), 0);
  assert.ok(await t.page.locator('table.register tbody tr').count() >= 2);
  clean(t.page);
  await t.context.close();
});

test('suggestions: under review, then not adopted only with a reason, then final; the bureau has no such page', async () => {
  const sent = await sendReport(server.base, hidden, await jpeg(browser, seed++), {
    kind: 'suggestion', category: 'other', severity: 'general', anonymous: true,
    note: `建议在液氯库门口加装洗眼器${EVIL}`, photos: [],
  });
  const id = sent.entry_id;
  assert.ok(id, JSON.stringify(sent));
  const { context: pc, page: p } = await openPage(browser);
  await login(p, server.base, enterprise);
  // Reached from the rewards (adopted suggestions join the reward lists).
  await p.goto(`${server.base}/rewards`);
  await Promise.all([p.waitForURL(/\/suggestions$/), p.click('#to-suggestions')]);
  const card = p.locator(`#s-${id}`);
  await card.waitFor();
  // The proposer is 匿名, the note with its payload is text.
  assert.ok((await card.innerText()).includes('匿名'));
  assert.ok(!(await card.innerText()).includes('不愿具名'));
  assert.equal(await p.locator(`#s-${id} script`).count(), 0);
  assert.ok((await card.locator('.note').innerText()).includes('<script>'));
  await card.getByLabel('评估中').check();
  await card.getByLabel('答复职工（不采纳时必填）').fill('已转设备科评估');
  await Promise.all([p.waitForURL(/done=review/), card.getByRole('button', { name: '提交' }).click()]);
  assert.ok((await p.locator('.flash.ok').innerText()).includes('已处理'));
  assert.equal(await p.locator(`#s-${id} .badge.status-under_review`).innerText(), '评估中');
  // Not adopted without a reason: refused next to the form, nothing changed.
  await card.getByLabel('未采纳').check();
  await Promise.all([p.waitForLoadState('load'), card.getByRole('button', { name: '提交' }).click()]);
  await p.locator(`#s-${id} .error`).waitFor();
  expected(p, 400);
  assert.match(await p.locator(`#s-${id} .error`).innerText(), /答复/);
  await shot(p, 'acct-suggestion-refused');
  await p.locator(`#s-${id}`).getByLabel('未采纳').check();
  await p.locator(`#s-${id}`).getByLabel('答复职工（不采纳时必填）').fill('现有防护已满足要求，感谢建议');
  await Promise.all([p.waitForURL(/done=review/), p.locator(`#s-${id}`).getByRole('button', { name: '提交' }).click()]);
  assert.equal(await p.locator(`#s-${id} .badge`).first().innerText(), '未采纳');
  assert.ok((await p.locator(`#s-${id}`).innerText()).includes('现有防护已满足要求'));
  assert.equal(await p.locator(`#s-${id} form`).count(), 0, 'a decision is final: no form');
  await shot(p, 'acct-suggestions');
  // The phone hears the status and the reply.
  const feed = await api(server.base, hidden, '/api/v1/device/changes?since=0');
  const last = feed.json.changes.filter((c) => c.entry_id === id).pop();
  assert.deepEqual([last.suggestion, last.reason], ['not_adopted', '现有防护已满足要求，感谢建议']);
  clean(p);
  await pc.close();
  // The bureau sees no suggestions link, and the page holds none for it.
  const { context: bc, page: b } = await openPage(browser);
  await login(b, server.base, bureau);
  await b.goto(`${server.base}/rewards`);
  assert.equal(await b.locator('a[href="/suggestions"]').count(), 0);
  await b.goto(`${server.base}/suggestions`);
  assert.equal(await b.locator(`#s-${id}`).count(), 0);
  await bc.close();
});

test('the notices page lists overdue entries, each linking to its page (demo district)', async () => {
  const demo = await startServer();
  try {
    const { context, page } = await openPage(browser);
    await login(page, demo.base, demo.logins['town.t02']);
    const tile = page.locator('#tile-notices');
    assert.ok(Number(await tile.locator('.n').textContent()) > 0, 'the workbench counts the notices');
    await Promise.all([page.waitForURL(/\/notices$/), tile.click()]);
    assert.equal(await page.getAttribute('header nav a[href="/notices"]', 'aria-current'), 'page');
    const overdue = page.locator('#nt-overdue');
    assert.equal(await overdue.count(), 1, 'an overdue notice');
    assert.ok(Number(await overdue.locator('.count').textContent()) >= 1);
    await shot(page, 'acct-notices');
    const first = overdue.locator('a[href^="/entries/"]').first();
    const number = (await first.textContent()).trim();
    await Promise.all([page.waitForURL(/\/entries\//), first.click()]);
    assert.ok((await page.textContent('h1')).includes(number));
    assert.equal(await page.locator('h1 .badge.overdue').count(), 1, 'the entry is overdue');
    // English.
    await page.goto(demo.base + '/lang?to=en&back=/notices');
    assert.match(await page.textContent('h1'), /Notices/);
    assert.match(await page.textContent('#nt-overdue h2'), /Overdue/);
    await shot(page, 'acct-notices-en');
    clean(page);
    await context.close();
  } finally {
    demo.stop();
  }
});
