// Headless-browser test of the page that `fashionseg serve` serves at GET /.
//
//   node tests/browser/page_test.mjs <base-url> <photo-path> <screenshot-out.png>
//
// Drives Debian's Chromium (CHROMIUM, default /usr/bin/chromium) through playwright-core; it
// never downloads a browser. Against a running server (the real one or
// tests/browser/mock_server.mjs) it checks that the page
//   - shows the architecture from GET /v1/model in #model;
//   - sends the chosen file, byte for byte, as the body of POST /v1/segment?mask=png;
//   - lists every category of the answer in #categories (name, share %, instances), with a
//     swatch, name and share for each of the garment's own colours (the answer's colors);
//   - paints each category's pixels in its colour: at opacity 100 the share of the canvas in
//     that exact colour matches the category's share, so the mask PNG was decoded to exact ids;
//   - redraws when a category is switched off and on, and when the opacity slider moves;
//   - logs no console errors and throws no page errors;
//   - shows the server's own error message in #status when the file is not an image;
//   - segments a photo dropped on #drop (the drag-and-drop path).
// It saves a full-page screenshot of the segmented photo to <screenshot-out.png> (and the
// error state next to it as <name>-error.png), prints one summary line and exits 0; on any
// failure it prints what failed and exits 1 (2 for a usage error).
import { chromium } from 'playwright-core';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const TIMEOUT_MS = 60_000;  // the longest wait for one segmentation
const DEFAULT_OPACITY = '60';

const [baseArg, photoPath, screenshotPath] = process.argv.slice(2);
if (!baseArg || !photoPath || !screenshotPath) {
  console.error('usage: node tests/browser/page_test.mjs <base-url> <photo-path> <screenshot-out.png>');
  process.exit(2);
}
const baseUrl = new URL(baseArg.endsWith('/') ? baseArg : `${baseArg}/`);
const errorShotPath = screenshotPath.replace(/(\.png)?$/i, '-error.png');

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}
let currentStep = 'start';
async function step(name, fn) {
  currentStep = name;
  return fn();
}

// Summary of the canvas pixels, computed in the page: size, a hash, and how many pixels have
// exactly each of the given colours.
function canvasSummary(colors) {
  const canvas = document.getElementById('canvas');
  if (!canvas || !canvas.width || !canvas.height) return { width: 0, height: 0, hash: 0, counts: [], pixels: 0 };
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const index = new Map(colors.map(([r, g, b], i) => [(r << 16) | (g << 8) | b, i]));
  const counts = colors.map(() => 0);
  let hash = 0x811c9dc5;
  for (let i = 0; i < data.length; i += 4) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    hash = Math.imul(hash ^ rgb, 16777619);
    const k = index.get(rgb);
    if (k !== undefined) ++counts[k];
  }
  return { width: canvas.width, height: canvas.height, hash: hash >>> 0, counts, pixels: canvas.width * canvas.height };
}

// POST bytes to /v1/segment?mask=png from Node: {status, body (parsed JSON or null)}.
async function postSegment(bytes, contentType) {
  const response = await fetch(new URL('v1/segment?mask=png', baseUrl), {
    method: 'POST', headers: { 'Content-Type': contentType }, body: bytes,
  });
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = { notJson: text.slice(0, 300) }; }
  return { status: response.status, body };
}

function parseColor(text) {
  const m = /^#([0-9a-f]{6})$/i.exec(String(text ?? ''));
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

async function main() {
  const photo = await step(`read ${photoPath}`, () => readFile(photoPath));
  const model = await step('GET /v1/model from the test', async () => {
    let response;
    try {
      response = await fetch(new URL('v1/model', baseUrl));
    } catch (e) {
      throw new Failure(`${baseUrl.href} cannot be reached (${e.cause?.code || e.message}); is the server running?`);
    }
    check(response.ok, `GET /v1/model answered HTTP ${response.status}`);
    const body = await response.json();
    check(typeof body.architecture === 'string' && body.architecture, 'GET /v1/model has no architecture');
    return body;
  });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  const tempDir = await mkdtemp(join(tmpdir(), 'fashionseg-page-test-'));
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const consoleErrors = [];
    const pageErrors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const outsideRequests = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== baseUrl.origin) outsideRequests.push(request.url());
    });

    await step('open the page', async () => {
      const response = await page.goto(baseUrl.href, { waitUntil: 'load' });
      check(response && response.ok(), `GET / answered HTTP ${response && response.status()}`);
      check((await page.title()) === 'fashionseg', `the page title is "${await page.title()}", not "fashionseg"`);
    });

    await step('#model shows the architecture', async () => {
      await page.waitForFunction((arch) => document.getElementById('model')?.textContent.includes(arch),
        model.architecture, { timeout: 15_000 }).catch(async () => {
        throw new Failure(`#model says "${await page.textContent('#model')}", not the architecture "${model.architecture}"`);
      });
    });

    // Waits until the page shows a new answer (status ok with categories) or fails with the status.
    async function waitForResult(expected) {
      await page.waitForFunction(([n]) => {
        const state = document.getElementById('status').dataset.state;
        return state === 'error' || (state === 'ok' && document.querySelectorAll('#categories li').length === n);
      }, [expected.categories.length], { timeout: TIMEOUT_MS }).catch(() => {});
      const state = await page.getAttribute('#status', 'data-state');
      const status = await page.textContent('#status');
      check(state === 'ok', `the page did not show the result within ${TIMEOUT_MS / 1000} s; #status (${state}) says: ${status}`);
      const count = await page.locator('#categories li').count();
      check(count === expected.categories.length, `#categories lists ${count} categories, the server answered ${expected.categories.length}`);
      return status;
    }

    // --- the file picker ---
    // Chromium does not keep fetch() bodies for the inspector here ("evicted from inspector
    // cache"), so the expected answer comes from the same request sent from Node.
    const photoType = /\.png$/i.test(photoPath) ? 'image/png' : 'image/jpeg';
    const answer = await step('POST the photo to /v1/segment from the test', async () => {
      const expected = await postSegment(photo, photoType);
      check(expected.status === 200, `POST /v1/segment of ${photoPath} answered HTTP ${expected.status}: ${JSON.stringify(expected.body)}`);
      check(Array.isArray(expected.body.categories), 'the answer has no categories array');
      check(expected.body.categories.length > 0, 'the server found no category in the photo: choose a photo with garments');
      return expected.body;
    });
    await step('upload the photo through #file', async () => {
      const responsePromise = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/segment', { timeout: TIMEOUT_MS });
      await page.setInputFiles('#file', photoPath);
      const response = await responsePromise;
      const request = response.request();
      const url = new URL(request.url());
      check(request.method() === 'POST', `the page sent ${request.method()} /v1/segment, not POST`);
      check(url.searchParams.get('mask') === 'png', `the page asked for ${url.search || 'no query'}, not mask=png`);
      const headers = await request.allHeaders();
      check(headers['content-type'], 'the request has no Content-Type');
      if (headers['content-length']) check(Number(headers['content-length']) === photo.length, `the request body is ${headers['content-length']} bytes, the photo ${photo.length}`);
      const sent = request.postDataBuffer();
      if (sent) check(sent.equals(photo), `the request body (${sent.length} bytes) is not the photo (${photo.length} bytes)`);
      check(response.status() === 200, `POST /v1/segment from the page answered HTTP ${response.status()}`);
      await waitForResult(answer);
      const status = await page.textContent('#status');
      check(status.includes(`${answer.width}×${answer.height}`), `#status says "${status}", not the photo's size ${answer.width}×${answer.height}`);
    });

    // Every listed category; the page starts with all but background (id 0) switched on.
    const listedCategories = [...answer.categories].sort((a, b) => b.share - a.share);
    const categories = listedCategories.filter((c) => c.id !== 0);
    check(categories.length > 0, 'the server found only background in the photo: choose a photo with garments');
    const colors = await page.evaluate(() =>
      [...document.querySelectorAll('#categories li')].map((li) => [Number(li.dataset.id), li.dataset.color]));
    const colorById = new Map(colors.map(([id, color]) => [id, parseColor(color)]));

    await step('#categories lists every category', async () => {
      for (const c of listedCategories) {
        const li = page.locator(`#categories li[data-id="${c.id}"]`);
        check((await li.count()) === 1, `#categories has no li[data-id="${c.id}"] for ${c.name}`);
        const text = (await li.textContent()).replace(/\s+/g, ' ');
        check(text.includes(c.name), `the row of id ${c.id} says "${text}", not the name "${c.name}"`);
        const pct = c.share * 100;
        const shareText = pct > 0 && pct < 0.1 ? '<0.1%' : `${pct.toFixed(1)}%`;
        check(text.includes(shareText), `the row of ${c.name} says "${text}", without its share ${shareText}`);
        if (Number.isInteger(c.instances)) check(text.includes(String(c.instances)), `the row of ${c.name} says "${text}", without its ${c.instances} instances`);
        const box = li.locator('input[type=checkbox]');
        check((await box.count()) === 1, `the row of ${c.name} has no checkbox`);
        check((await box.isChecked()) === (c.id !== 0), `${c.name} starts switched ${c.id !== 0 ? 'off' : 'on'}`);
        check(colorById.get(c.id), `the row of ${c.name} has no data-color`);
        if (c.color) check(colorById.get(c.id).join() === parseColor(c.color)?.join(), `the row of ${c.name} is coloured ${colors.find(([id]) => id === c.id)[1]}, the server said ${c.color}`);
      }
    });

    await step('each category shows the colours of its garment', async () => {
      let named = 0;
      for (const c of listedCategories) {
        const shown = await page.evaluate((id) => [...document.querySelectorAll(`#categories li[data-id="${id}"] .garment-color`)]
          .map((e) => ({ name: e.dataset.name, hex: e.dataset.hex, text: e.textContent,
            chip: getComputedStyle(e.querySelector('.chip')).backgroundColor })), c.id);
        const expected = Array.isArray(c.colors) ? c.colors : [];
        check(shown.length === expected.length, `the row of ${c.name} shows ${shown.length} garment colours, the server named ${expected.length}`);
        expected.forEach((k, i) => {
          const rgb = parseColor(k.hex);
          check(rgb, `the server sent the colour ${JSON.stringify(k)} of ${c.name} without a #rrggbb hex`);
          check(shown[i].name === k.name && shown[i].hex === k.hex.toLowerCase(), `colour ${i + 1} of ${c.name} is shown as ${shown[i].name} ${shown[i].hex}, the server said ${k.name} ${k.hex}`);
          check(shown[i].text.includes(`${k.name} ${Math.round(k.share * 100)}%`), `colour ${i + 1} of ${c.name} reads "${shown[i].text}", not "${k.name} ${Math.round(k.share * 100)}%"`);
          check(shown[i].chip === `rgb(${rgb.join(', ')})`, `the swatch of ${k.name} on ${c.name} is ${shown[i].chip}, not ${k.hex}`);
        });
        named += expected.length;
      }
      check(named > 0, 'the answer names no garment colour (no category has colors)');
    });

    const palette = categories.map((c) => colorById.get(c.id));
    const summary = () => page.evaluate(canvasSummary, palette);
    const setOpacity = (value) => page.evaluate((v) => {
      const slider = document.getElementById('opacity');
      slider.value = v;
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);

    let atDefault, atFull, photoOnly;
    await step('the canvas shows the photo with the overlay', async () => {
      const box = await page.locator('#canvas').boundingBox();
      check(box && box.width > 0 && box.height > 0, `#canvas is not visible (box ${JSON.stringify(box)})`);
      atDefault = await summary();
      check(atDefault.width > 0 && atDefault.height > 0, `#canvas is ${atDefault.width}x${atDefault.height}`);
      const aspect = answer.width / answer.height, shown = atDefault.width / atDefault.height;
      check(Math.abs(shown / aspect - 1) < 0.02, `#canvas is ${atDefault.width}x${atDefault.height}, not the photo's ${answer.width}x${answer.height} aspect`);
      check(Math.abs(box.width / box.height / aspect - 1) < 0.02, `#canvas is displayed ${box.width}x${box.height}, not the photo's aspect`);
      const viewport = page.viewportSize();
      check(box.width <= viewport.width && box.height <= viewport.height, `#canvas (${box.width}x${box.height}) does not fit the ${viewport.width}x${viewport.height} window`);
    });

    await step('the opacity slider redraws the canvas', async () => {
      check((await page.inputValue('#opacity')) === DEFAULT_OPACITY, `#opacity starts at ${await page.inputValue('#opacity')}, not ${DEFAULT_OPACITY}`);
      await page.focus('#opacity');
      await page.keyboard.press('End');  // like a user: keyboard on the slider
      check((await page.inputValue('#opacity')) === '100', `#opacity is ${await page.inputValue('#opacity')} after End, not 100`);
      atFull = await summary();
      check(atFull.counts.some((n) => n > 0),
        'at opacity 100 no pixel of the canvas has a category colour: are the mask PNG values read as exact class ids?');
      await page.keyboard.press('Home');
      check((await page.inputValue('#opacity')) === '0', `#opacity is ${await page.inputValue('#opacity')} after Home, not 0`);
      photoOnly = await summary();
      check(atFull.hash !== photoOnly.hash, 'the canvas did not change between opacity 100 and 0');
      check(atDefault.hash !== photoOnly.hash && atDefault.hash !== atFull.hash, `the canvas at opacity ${DEFAULT_OPACITY} equals the one at 0 or 100`);
      await page.keyboard.press('End');
      check((await summary()).hash === atFull.hash, 'the canvas at opacity 100 differs from the first time');
    });

    await step('every category is painted in its colour over its share of the photo', async () => {
      categories.forEach((c, i) => {
        const painted = atFull.counts[i] / atFull.pixels, before = photoOnly.counts[i] / photoOnly.pixels;
        check(Math.abs(painted - c.share) <= 0.01 + 0.1 * c.share,
          `${c.name} covers ${(painted * 100).toFixed(2)}% of the canvas in ${colors.find(([id]) => id === c.id)[1]} at opacity 100, the server says ${(c.share * 100).toFixed(2)}%`);
        check(before < painted || c.share === 0, `${c.name}'s colour is as common in the bare photo as with the overlay`);
      });
    });

    await step('switching a category off and on redraws the canvas', async () => {
      const target = categories[0];
      const i = 0;
      const box = page.locator(`#categories li[data-id="${target.id}"] input[type=checkbox]`);
      check(await box.isChecked(), `${target.name} starts switched off`);
      await box.uncheck();
      const off = await summary();
      check(off.hash !== atFull.hash, `the canvas did not change when ${target.name} was switched off`);
      check(off.counts[i] <= Math.max(photoOnly.counts[i], 0.1 * atFull.counts[i]),
        `${target.name} still covers ${off.counts[i]} pixels after it was switched off (${atFull.counts[i]} before)`);
      categories.forEach((c, k) => {
        if (k !== i) check(off.counts[k] === atFull.counts[k], `switching ${target.name} off changed ${c.name} (${atFull.counts[k]} -> ${off.counts[k]} pixels)`);
      });
      await box.check();
      check((await summary()).hash === atFull.hash, `the canvas did not come back when ${target.name} was switched on again`);
    });

    await step('the pointer names the class under it', async () => {
      await setOpacity(DEFAULT_OPACITY);
      check((await summary()).hash === atDefault.hash, `the canvas at opacity ${DEFAULT_OPACITY} differs from the first drawing`);
      const c = categories[0];
      const [x, y, w, h] = Array.isArray(c.box) ? c.box : [0, 0, answer.width, answer.height];
      const box = await page.locator('#canvas').boundingBox();
      await page.mouse.move(box.x + (x + w / 2) / answer.width * box.width, box.y + (y + h / 2) / answer.height * box.height);
      const hover = await page.textContent('#hover');
      check(/\(\d+, \d+\): \S/.test(hover), `#hover says "${hover}" with the pointer on the photo`);
      await page.mouse.move(0, 0);
    });

    await step('no console errors, no page errors, nothing fetched from outside', async () => {
      check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
      check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
      check(outsideRequests.length === 0, `requests outside ${baseUrl.origin}: ${outsideRequests.join(' ')}`);
    });

    await step('save the screenshot', () => page.screenshot({ path: screenshotPath, fullPage: true }));
    const okStatus = await page.textContent('#status');

    // --- the error path: the server's message reaches #status ---
    await step('upload a file that is not an image', async () => {
      const textPath = join(tempDir, 'notes.txt');
      await writeFile(textPath, 'This is a shopping list, not a photo.\n');
      const text = await readFile(textPath);
      const expected = await postSegment(text, 'text/plain');
      check(expected.status >= 400 && expected.status < 500, `POST /v1/segment of a text file answered HTTP ${expected.status}, not 4xx`);
      const message = expected.body && expected.body.error;
      check(typeof message === 'string' && message.length > 0, `the ${expected.status} answer has no "error" message: ${JSON.stringify(expected.body)}`);
      const responsePromise = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/segment', { timeout: TIMEOUT_MS });
      await page.setInputFiles('#file', textPath);
      const response = await responsePromise;
      check(response.status() === expected.status, `POST /v1/segment of the text file from the page answered HTTP ${response.status()}, from the test ${expected.status}`);
      await page.waitForFunction((m) => document.getElementById('status').textContent.includes(m), message, { timeout: 15_000 })
        .catch(async () => { throw new Failure(`#status says "${await page.textContent('#status')}", not the server's error "${message}"`); });
      check((await page.getAttribute('#status', 'data-state')) === 'error', '#status does not show the error as an error');
      await page.screenshot({ path: errorShotPath, fullPage: true });
      check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
      // Chromium logs every 4xx answer to fetch() as "Failed to load resource"; nothing else is allowed.
      const unexpected = consoleErrors.filter((m) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(m));
      check(unexpected.length === 0, `console errors: ${unexpected.join(' | ')}`);
    });

    // --- drag and drop ---
    await step('drop the photo on #drop', async () => {
      const dataTransfer = await page.evaluateHandle(([base64, name, type]) => {
        const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type }));
        return transfer;
      }, [photo.toString('base64'), basename(photoPath), photoType]);
      const responsePromise = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/segment', { timeout: TIMEOUT_MS });
      await page.dispatchEvent('#drop', 'dragenter', { dataTransfer });
      await page.dispatchEvent('#drop', 'dragover', { dataTransfer });
      await page.dispatchEvent('#drop', 'drop', { dataTransfer });
      const response = await responsePromise;
      check(response.status() === 200, `POST /v1/segment of the dropped photo answered HTTP ${response.status()}`);
      await waitForResult(answer);
      check((await summary()).hash === atDefault.hash, 'the dropped photo is drawn differently from the uploaded one');
      check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
    });

    const listed = listedCategories.map((c) => `${c.name} ${(c.share * 100).toFixed(1)}% x${c.instances ?? '?'}`).join(', ');
    console.log(`page_test: OK: ${model.architecture}, ${answer.width}x${answer.height}, ${listedCategories.length} categories (${listed}); status "${okStatus}"; screenshot ${screenshotPath}`);
  } finally {
    await browser.close().catch(() => {});
    await rm(tempDir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error(`page_test: FAIL: ${currentStep}: no end after 5 minutes`);
  process.exit(1);
}, 300_000);
main().then(() => {
  clearTimeout(watchdog);
  process.exit(0);
}, (error) => {
  console.error(`page_test: FAIL: ${currentStep}: ${error instanceof Failure ? error.message : error.stack || error}`);
  process.exit(1);
});
