// A stand-in for `fashionseg serve` with no model and no dependencies: it serves the page and
// answers the HTTP contract with a made-up segmentation, so the page can be developed and
// tested without a build or a checkpoint. It documents the contract the page relies on.
//
//   node tests/browser/mock_server.mjs <port>      (port 0 picks a free one; the URL is printed)
//
// GET  /            src/serve/page.html (read on every request, so edits show on reload)
// GET  /v1/model    {"architecture", "classes": [{id, name, color}], "input": {height, width}, "parameters"}
// POST /v1/segment  the raw image as the body (any Content-Type; the bytes decide), or a
//                   multipart/form-data field "image". Query: mask=png|rle|none (default png),
//                   flip=0|1, min_area=<share of the photo, default 0.001>, colors=0|1
//                   (default 1). 200 {"width", "height", "architecture", "categories": [{id,
//                   name, share, box: [x, y, w, h], instances, color (the mask's colour for the
//                   class), colors (with colors=1: the garment's own, up to 3, [{name, hex,
//                   lab: [L, a, b], share}])}], "mask": {"format": "png", "data":
//                   base64 8-bit grayscale PNG, width x height, pixel = class id}, "timing_ms"}
//                   Errors: {"error": "..."} with 400 (not an image, bad option), 413 (too large).
// The mock reads only the image header (JPEG SOF or PNG IHDR) for the size, ignores EXIF
// orientation, and paints a shirt, trousers and two shoes as rectangles.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const pagePath = join(here, '..', '..', 'src', 'serve', 'page.html');
const MAX_BODY = 20 * 1024 * 1024;
const ARCHITECTURE = 'lraspp_mobilenet_v3_large';

// iMaterialist (Fashion) 2019 categories; mask value = category index + 1, 0 = background.
const CATEGORY_NAMES = [
  'shirt, blouse', 'top, t-shirt, sweatshirt', 'sweater', 'cardigan', 'jacket', 'vest', 'pants',
  'shorts', 'skirt', 'coat', 'dress', 'jumpsuit', 'cape', 'glasses', 'hat',
  'headband, head covering, hair accessory', 'tie', 'glove', 'watch', 'belt', 'leg warmer',
  'tights, stockings', 'sock', 'shoe', 'bag, wallet', 'scarf', 'umbrella', 'hood', 'collar',
  'lapel', 'epaulette', 'sleeve', 'pocket', 'neckline', 'buckle', 'zipper', 'applique', 'bead',
  'bow', 'flower', 'fringe', 'ribbon', 'rivet', 'ruffle', 'sequin', 'tassel',
];

// The project's palette (src/render/render.cpp, label_color).
function labelColor(value) {
  if (value <= 0) return '#000000';
  const h = ((value - 1) * 137.508) % 360;
  const level = (value - 1) % 3;
  const s = [0.85, 0.6, 0.95][level], v = [0.95, 0.8, 0.65][level];
  const c = v * s, x = c * (1 - Math.abs(((h / 60) % 2) - 1)), m = v - c;
  const rgb = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x]
    : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return '#' + rgb.map((ch) => Math.round((ch + m) * 255).toString(16).padStart(2, '0')).join('');
}

const CLASSES = ['background', ...CATEGORY_NAMES].map((name, id) => ({ id, name, color: labelColor(id) }));
const MODEL = { architecture: ARCHITECTURE, classes: CLASSES, input: { height: 288, width: 192 }, parameters: 3230000 };

// --- a minimal PNG encoder: 8-bit grayscale, no interlace ---
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffers) {
  let c = 0xffffffff;
  for (const b of buffers) for (const byte of b) c = CRC_TABLE[(c ^ byte) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}
export function encodeGrayPng(pixels, width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;   // bit depth
  ihdr[9] = 0;   // colour type: grayscale
  ihdr[10] = 0;  // deflate
  ihdr[11] = 0;  // filter method
  ihdr[12] = 0;  // no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; ++y) {
    raw[y * (width + 1)] = 0;  // filter: none
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  // gAMA 1.0: legal, and a colour-managing decoder would remap the values through it, so a
  // client that does not decode with colour conversion off reads wrong class ids.
  const gama = Buffer.alloc(4);
  gama.writeUInt32BE(100000, 0);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('gAMA', gama), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- image headers ---
class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
function imageSize(bytes) {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) { ++i; continue; }
      const marker = bytes[i + 1];
      if (marker === 0xff) { ++i; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
      const length = bytes.readUInt16BE(i + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { format: 'jpeg', height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      i += 2 + length;
    }
    throw new HttpError(400, 'POST /v1/segment: the JPEG body has no frame header (SOF) giving its size');
  }
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new HttpError(400, `POST /v1/segment: the body (${bytes.length} bytes) is not an image this server can decode (first bytes: ${head || 'none'})`);
}

// The part named "image" of a multipart/form-data body.
function multipartImage(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new HttpError(400, 'POST /v1/segment: multipart/form-data without a boundary');
  const boundary = Buffer.from(`--${m[1] || m[2]}`);
  let start = body.indexOf(boundary);
  while (start >= 0) {
    const headersEnd = body.indexOf('\r\n\r\n', start);
    if (headersEnd < 0) break;
    const headers = body.subarray(start, headersEnd).toString('latin1');
    const next = body.indexOf(boundary, headersEnd);
    if (next < 0) break;
    if (/name="image"/i.test(headers)) return body.subarray(headersEnd + 4, next - 2);  // drop CRLF
    start = next;
  }
  throw new HttpError(400, 'POST /v1/segment: the multipart/form-data body has no field named "image"');
}

function parseOptions(query) {
  const mask = query.get('mask') ?? 'png';
  if (!['png', 'rle', 'none'].includes(mask)) throw new HttpError(400, `POST /v1/segment: mask=${mask} is not one of png, rle, none`);
  if (mask === 'rle') throw new HttpError(400, 'POST /v1/segment: the mock server does not produce mask=rle; use png or none');
  const flip = query.get('flip') ?? '0';
  if (!['0', '1'].includes(flip)) throw new HttpError(400, `POST /v1/segment: flip=${flip} is not 0 or 1`);
  const minAreaText = query.get('min_area') ?? '0.001';
  const minArea = Number(minAreaText);
  if (!(minArea >= 0 && minArea <= 1)) throw new HttpError(400, `POST /v1/segment: min_area=${minAreaText} is not a number in [0, 1]`);
  const colors = query.get('colors') ?? '1';
  if (!['0', '1'].includes(colors)) throw new HttpError(400, `POST /v1/segment: colors=${colors} is not 0 or 1`);
  return { mask, flip: flip === '1', minArea, colors: colors === '1' };
}

// A made-up segmentation: rectangles as fractions of the photo [x0, y0, x1, y1].
// Each with made-up garment colours (names from the palette of docs/colors.md).
const SHAPES = [
  { id: 1, rects: [[0.28, 0.17, 0.72, 0.5]],                              // shirt, blouse
    colors: [{ name: 'white', hex: '#f2f1ee', lab: [95.3, -0.1, 1.5], share: 0.64 },
      { name: 'navy', hex: '#232c45', lab: [18.1, 3.1, -17.2], share: 0.33 }] },
  { id: 7, rects: [[0.32, 0.5, 0.68, 0.86]],                              // pants
    colors: [{ name: 'denim', hex: '#4d6b93', lab: [44.6, 0.5, -25.1], share: 0.91 }] },
  { id: 24, rects: [[0.3, 0.88, 0.46, 0.95], [0.54, 0.88, 0.7, 0.95]],    // shoe, two of them
    colors: [{ name: 'black', hex: '#1f1f1f', lab: [11.8, 0, 0], share: 0.88 }] },
  { id: 19, rects: [[0.2, 0.45, 0.225, 0.465]],                            // watch: tiny, min_area drops it
    colors: [{ name: 'grey', hex: '#808080', lab: [53.6, 0, 0], share: 1 }] },
];
function segment(width, height, options) {
  const mask = new Uint8Array(width * height);
  const instances = new Map();
  const colors = new Map();
  for (const shape of SHAPES) {
    instances.set(shape.id, shape.rects.length);
    colors.set(shape.id, shape.colors);
    for (const [fx0, fy0, fx1, fy1] of shape.rects) {
      const x0 = Math.floor(fx0 * width), x1 = Math.ceil(fx1 * width);
      const y0 = Math.floor(fy0 * height), y1 = Math.ceil(fy1 * height);
      for (let y = y0; y < y1; ++y) mask.fill(shape.id, y * width + x0, y * width + x1);
    }
  }
  if (options.flip) for (let y = 0; y < height; ++y) mask.subarray(y * width, (y + 1) * width).reverse();
  const stats = new Map();
  for (let y = 0, i = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x, ++i) {
      const id = mask[i];
      if (id === 0) continue;
      let s = stats.get(id);
      if (!s) stats.set(id, (s = { count: 0, x0: x, y0: y, x1: x, y1: y }));
      ++s.count;
      if (x < s.x0) s.x0 = x;
      if (x > s.x1) s.x1 = x;
      if (y > s.y1) s.y1 = y;
    }
  }
  const categories = [];
  for (const [id, s] of stats) {
    const share = s.count / (width * height);
    if (share < options.minArea) {
      for (let i = 0; i < mask.length; ++i) if (mask[i] === id) mask[i] = 0;  // dropped: background
      continue;
    }
    const category = {
      id, name: CLASSES[id].name, share: Math.round(share * 1e4) / 1e4,
      box: [s.x0, s.y0, s.x1 - s.x0 + 1, s.y1 - s.y0 + 1], instances: instances.get(id), color: CLASSES[id].color,
    };
    if (options.colors) category.colors = colors.get(id);
    categories.push(category);
  }
  categories.sort((a, b) => b.share - a.share);
  return { mask, categories };
}

function sendJson(res, status, value) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] || 0);
    if (declared > MAX_BODY) return reject(new HttpError(413, `POST /v1/segment: the body (${declared} bytes) is larger than the limit of ${MAX_BODY} bytes`));
    const parts = [];
    let size = 0;
    req.on('data', (part) => {
      size += part.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `POST /v1/segment: the body is larger than the limit of ${MAX_BODY} bytes`));
      } else {
        parts.push(part);
      }
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/' && req.method === 'GET') {
    const page = await readFile(pagePath);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'no-store' });
    return res.end(page);
  }
  if (url.pathname === '/v1/model' && req.method === 'GET') return sendJson(res, 200, MODEL);
  if (url.pathname === '/v1/segment' && req.method === 'POST') {
    const started = performance.now();
    const options = parseOptions(url.searchParams);
    let body = await readBody(req);
    const contentType = req.headers['content-type'] || '';
    if (/^multipart\/form-data/i.test(contentType)) body = multipartImage(body, contentType);
    if (body.length === 0) throw new HttpError(400, 'POST /v1/segment: the body is empty; send the image bytes or a multipart field "image"');
    const { width, height } = imageSize(body);
    if (!(width > 0 && height > 0 && width * height <= 50e6)) throw new HttpError(400, `POST /v1/segment: the image size ${width}x${height} is out of range`);
    const decoded = performance.now();
    const { mask, categories } = segment(width, height, options);
    const inferred = performance.now();
    const answer = { width, height, architecture: ARCHITECTURE, categories };
    if (options.mask === 'png') answer.mask = { format: 'png', data: encodeGrayPng(mask, width, height).toString('base64') };
    answer.timing_ms = {
      decode: +(decoded - started).toFixed(1), inference: +(inferred - decoded).toFixed(1),
      total: +(performance.now() - started).toFixed(1),
    };
    return sendJson(res, 200, answer);
  }
  if (['/', '/v1/model', '/v1/segment'].includes(url.pathname)) {
    throw new HttpError(405, `${req.method} ${url.pathname}: method not allowed`);
  }
  throw new HttpError(404, `${req.method} ${url.pathname}: no such resource`);
}

const port = Number(process.argv[2] ?? 8765);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node tests/browser/mock_server.mjs <port>   (got ${process.argv[2]})`);
  process.exit(2);
}
const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    const status = e instanceof HttpError ? e.status : 500;
    if (status === 500) console.error(e);
    sendJson(res, status, { error: e instanceof HttpError ? e.message : `internal error: ${e.message}` });
    if (status === 413) req.resume();  // drain the rest unread
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`mock fashionseg server on http://127.0.0.1:${server.address().port}/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
