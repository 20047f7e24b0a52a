// The browser tests' harness: the real server binary on a free loopback port (its demo
// district, or a roster of the test's own), Debian's Chromium driven by playwright-core (never
// a downloaded browser), logins through the real form, and screenshots kept as artifacts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createHash, randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
export const serverBin = join(target, 'debug', 'hazardsnap-server');

/** The flags the project's browser tests run Chromium with (no network of its own). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Starts the server. With `roster` (TOML text) it is imported first; otherwise `--demo`.
 * `args` are more `serve` options.
 * Resolves to { base, logins, codes, stop() }.
 */
export async function startServer({ roster, args: extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hazardsnap-web-'));
  const data = join(dir, 'data');
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', data];
  if (roster) {
    const file = join(dir, 'roster.toml');
    writeFileSync(file, roster);
    execFileSync(serverBin, ['org', 'import', '--data', data, file], { stdio: 'pipe' });
  } else {
    args.push('--demo');
  }
  args.push(...extra);
  const child = spawn(serverBin, args, { stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' } });
  const logins = {};
  const codes = [];
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 60000);
    child.on('exit', (c) => reject(new Error(`server exited ${c}`)));
    lines.on('line', (line) => {
      const login = line.match(/^\s+(\S+)\s+(\S+)\s+\S+\s+\((\w+)\)/);
      if (login) { logins[login[1]] = { user: login[1], pass: login[2], role: login[3] }; }
      const code = line.match(/^\s+(E\d+-JOIN-\S+)\s+(E\d+)/);
      if (code) { codes.push({ code: code[1], enterprise: code[2] }); }
      const m = line.match(/^listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  child.stderr.resume();
  return {
    base, logins, codes, data,
    stop() { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Launches Debian's Chromium. */
export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context (viewport 1366×768 unless given) with a page that records dialogs,
 * console errors and CSP violations.
 */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('dialog', async (d) => { page.problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') { page.problems.push(`console: ${m.text()}`); } });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  return { context, page };
}

/** Logs in through the form and lands on the workbench. */
export async function login(page, base, { user, pass }) {
  await page.goto(base + '/');
  await page.fill('#username', user);
  await page.fill('#password', pass);
  await Promise.all([page.waitForURL(base + '/'), page.click('form[action="/login"] button[type=submit]')]);
}

/** Saves a full-page screenshot as an artifact, with every lazy image loaded first. */
export async function shot(page, name) {
  await page.evaluate(async () => {
    const images = [...document.images];
    for (const img of images) { img.loading = 'eager'; }
    await Promise.all(images.map((img) => (img.complete ? null : new Promise((r) => {
      img.addEventListener('load', r, { once: true });
      img.addEventListener('error', r, { once: true });
    }))));
  });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** JSON over the API with a bearer token. */
export async function api(base, token, path, { method = 'GET', body } = {}) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

/** An officer's API token. */
export async function token(base, { user, pass }) {
  const r = await api(base, '', '/api/v1/session', { method: 'POST', body: { username: user, password: pass } });
  if (r.status !== 200) { throw new Error(`login ${user}: ${r.status} ${r.text}`); }
  return r.json.token;
}

/** Enrolls a phone with an enrollment code; resolves to its device token. */
export async function enroll(base, code, name = '测试手机') {
  const r = await api(base, '', '/api/v1/enroll', { method: 'POST', body: { code, device_name: name } });
  if (r.status !== 200) { throw new Error(`enroll ${code}: ${r.status} ${r.text}`); }
  return r.json.token;
}

/** A JPEG drawn by the browser's canvas, different for every `seed`. */
export async function jpeg(browser, seed) {
  const page = await browser.newPage();
  try {
    const url = await page.evaluate((s) => {
      const c = document.createElement('canvas');
      c.width = 320; c.height = 240;
      const g = c.getContext('2d');
      for (let i = 0; i < 40; i++) {
        g.fillStyle = `hsl(${(s * 47 + i * 31) % 360}, 70%, ${30 + ((s + i) * 13) % 50}%)`;
        g.fillRect((i * 37 + s * 11) % 300, (i * 23 + s * 7) % 220, 20 + (i * s) % 90, 15 + (i + s) % 70);
      }
      return c.toDataURL('image/jpeg', 0.9);
    }, seed);
    return Buffer.from(url.split(',')[1], 'base64');
  } finally {
    await page.close();
  }
}

/**
 * A JPEG without its metadata segments (APP1–APP15 but the Adobe APP14, comments), as the
 * phone's pipeline sends it: Chromium's canvas encoder writes one.
 */
export function withoutMetadata(jpeg) {
  const keep = [jpeg.subarray(0, 2)];
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    const marker = jpeg[pos + 1];
    if (marker === 0xda) { break; }
    const end = pos + 2 + jpeg.readUInt16BE(pos + 2);
    const adobe = marker === 0xee && jpeg.subarray(pos + 4, pos + 9).toString('latin1') === 'Adobe';
    if (!((marker >= 0xe1 && marker <= 0xef && !adobe) || marker === 0xfe)) {
      keep.push(jpeg.subarray(pos, end));
    }
    pos = end;
  }
  keep.push(jpeg.subarray(pos));
  return Buffer.concat(keep);
}

/**
 * Sends one hazard from a phone: the photo first, then the report (the fields of `fields`
 * override the defaults). Resolves to the report's result (`entry_id`…).
 */
export async function sendReport(base, device, photo, fields = {}) {
  // The phone's pipeline drops every metadata segment, and the server refuses a photo with one.
  photo = withoutMetadata(photo);
  const sha = createHash('sha256').update(photo).digest('hex');
  const put = await fetch(`${base}/api/v1/photos/${sha}`, { method: 'PUT',
    headers: { authorization: `Bearer ${device}`, 'content-type': 'image/jpeg' }, body: photo });
  if (![200, 201].includes(put.status)) { throw new Error(`photo: ${put.status} ${await put.text()}`); }
  const stored = await put.json();
  const report = {
    // A UUIDv7-shaped id, as the phone makes.
    id: randomUUID().replace(/^(.{14})./, '$17'),
    kind: 'hazard', category: 'equipment_guarding', severity: 'general', at_risk: ['oneself'],
    source: 'worker_check', note: '测试隐患', captured_at: new Date().toISOString(),
    photos: [{ sha256: sha, bytes: photo.length, width: stored.width ?? 1, height: stored.height ?? 1 }],
    anonymous: false,
    ...fields,
  };
  const sent = await api(base, device, '/api/v1/reports', { method: 'POST', body: { version: 1, reports: [report] } });
  if (sent.status !== 200) { throw new Error(`report: ${sent.status} ${sent.text}`); }
  return sent.json.results[0];
}
