// A real browser across origins: headless Chromium loads a page from the front end's origin
// (http://app.example.com:APP_PORT, served below) that calls the API on another origin of the
// same site (http://api.example.com:<port of API_URL>), with the page's own
// fetch(..., {credentials: 'include'}), exactly as the front end does. A page on an origin the
// API does not allow (http://evil.example.net:APP_PORT) must get no readable answer and no
// session. Chromium resolves these three names to the API's and this server's address and
// nothing else, so every request stays on this machine.
//
//   API_URL   the API's base URL (http only), e.g. http://127.0.0.1:3000; the API must allow
//             the origin http://app.example.com:APP_PORT, and must not allow evil.example.net
//   APP_PORT  the port of the front end's page server (default 8080)
//   CHROMIUM  the browser (default /usr/bin/chromium)
//   LOGIN_FAILURES_PER_ACCOUNT  the API's limit of failed logins (default 10); a 429 follows
//
// Prints one line per check and closes with "N passed, N failed"; exits non-zero on any failure.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

const STEP_TIMEOUT_MS = 15_000;
// The API's LOGIN_FAILURES_PER_ACCOUNT (its default is 10).
const MAX_LOGIN_FAILURES = Number(process.env.LOGIN_FAILURES_PER_ACCOUNT || 10);
// 0 when the API's CORS layer cannot expose headers at all: `sam local`'s emulation of an HTTP
// API has no ExposeHeaders (API Gateway itself sends the template's ExposeHeaders).
const CORS_EXPOSES_HEADERS = process.env.CORS_EXPOSES_HEADERS !== '0';
const RUN_TIMEOUT_MS = 240_000;

const fatal = (message) => {
  console.log(`FAIL ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
};

if (!process.env.API_URL) fatal('API_URL is not set');
const apiUrl = new URL(process.env.API_URL);
if (apiUrl.protocol !== 'http:') fatal(`API_URL must be http: (got ${apiUrl.protocol})`);
const appPort = Number(process.env.APP_PORT || 8080);
const apiPort = apiUrl.port || '80';
const apiPrefix = apiUrl.pathname.replace(/\/+$/, '');

const APP = `http://app.example.com:${appPort}`;
const EVIL = `http://evil.example.net:${appPort}`;
const API = `http://api.example.com:${apiPort}`;
const API_BASE = `${API}${apiPrefix}`;

// The page both origins serve: a helper that calls the API with the page's own fetch and hands
// back what the page itself can see (a rejected fetch, an opaque answer, or status and JSON).
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>booking front end</title>
<script>
window.API = ${JSON.stringify(API_BASE)};
window.send = async (method, path, init = {}) => {
  try {
    const res = await fetch(window.API + path, {
      method, credentials: 'include', signal: AbortSignal.timeout(${STEP_TIMEOUT_MS}), ...init,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* opaque or not JSON */ }
    const retryAfter = res.headers.get('retry-after');
    return { rejected: false, type: res.type, status: res.status, json, retryAfter };
  } catch (e) {
    return { rejected: true, error: String(e) };
  }
};
window.call = (method, path, body, headers = {}) => body === undefined
  ? window.send(method, path, { headers })
  : window.send(method, path, {
      headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
</script>
<p>front end</p>
`;

function servePages() {
  const hosts = new Set([`app.example.com:${appPort}`, `evil.example.net:${appPort}`]);
  const server = http.createServer((req, res) => {
    if (!hosts.has(req.headers.host) || req.method !== 'GET' || req.url !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(appPort, '127.0.0.1', () => resolve(server));
  });
}

let passed = 0;
let failed = 0;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, fn, timeoutMs = STEP_TIMEOUT_MS) {
  const started = Date.now();
  let timer;
  try {
    const note = await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no result in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    passed += 1;
    console.log(`ok   ${name}${note ? `: ${note}` : ''} (${Date.now() - started} ms)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}: ${err.message}`);
  } finally {
    clearTimeout(timer);
  }
}

const show = (r) => JSON.stringify(r).slice(0, 300);

// What the network saw, beside what the page saw: the status of an opaque answer, whether a
// request carried the session cookie, an answer's CORS headers.
function recordResponses(context) {
  const seen = [];
  context.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin !== API) return;
    seen.push({ method: response.request().method(), path: url.pathname, response });
  });
  return {
    last(method, path) {
      for (let i = seen.length - 1; i >= 0; i -= 1) {
        if (seen[i].method === method && seen[i].path === `${apiPrefix}${path}`) {
          return seen[i].response;
        }
      }
      return null;
    },
  };
}

async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'token');
}

async function main() {
  const pages = await servePages();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    timeout: 60_000,
    // playwright-core starts the browser on a new, empty user-data-dir of its own.
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
      // The three names of the scenario, and no name resolves anywhere else.
      `--host-resolver-rules=MAP app.example.com 127.0.0.1, MAP evil.example.net 127.0.0.1, `
        + `MAP api.example.com ${apiUrl.hostname}, MAP * ~NOTFOUND`,
    ],
  });
  console.log(`${browser.version()} | page ${APP} | API ${API_BASE} (${apiUrl.origin})`);

  try {
    await frontEnd(browser);
    await foreignSite(browser);
  } finally {
    await browser.close();
    pages.close();
  }
}

const email = `browser-${randomUUID()}@example.com`;
const password = 'browser-test-password';

async function frontEnd(browser) {
  const context = await browser.newContext();
  const net = recordResponses(context);
  const app = await context.newPage();
  const call = (method, path, body, headers) =>
    app.evaluate(([m, p, b, h]) => window.call(m, p, b, h), [method, path, body, headers]);

  let serviceId;
  let token;
  let bookingId;
  const slot = { scheduledAt: '2031-03-04T10:00:00.000Z', duration: 30 };

  await step(`front end page loads from ${APP}`, async () => {
    const res = await app.goto(`${APP}/`);
    check(res && res.status() === 200, `page answered ${res && res.status()}`);
    const origin = await app.evaluate(() => window.location.origin);
    check(origin === APP, `page origin is ${origin}`);
  });

  await step('GET /api/services: a CORS answer the page can read', async () => {
    const r = await call('GET', '/api/services');
    check(!r.rejected && r.type === 'cors' && r.status === 200, show(r));
    check(Array.isArray(r.json?.data) && r.json.data.length > 0, `no services: ${show(r)}`);
    serviceId = r.json.data[0].id;
    const headers = (await net.last('GET', '/api/services'))?.headers() ?? {};
    check(headers['access-control-allow-origin'] === APP,
      `Access-Control-Allow-Origin is ${headers['access-control-allow-origin']}`);
    check(headers['access-control-allow-credentials'] === 'true',
      `Access-Control-Allow-Credentials is ${headers['access-control-allow-credentials']}`);
    return `service ${serviceId}`;
  });

  await step('register (JSON POST: preflight, then 201 with the cookie)', async () => {
    const r = await call('POST', '/api/auth/register', { email, password, name: 'Browser Test' });
    check(!r.rejected && r.status === 201, show(r));
    check(r.json?.data?.user?.email === email, `user ${show(r.json?.data?.user)}`);
    return email;
  });

  await step('login: 200, and the browser keeps the session cookie', async () => {
    await context.clearCookies();
    const r = await call('POST', '/api/auth/login', { email, password });
    check(!r.rejected && r.status === 200, show(r));
    token = r.json?.data?.token;
    check(typeof token === 'string' && token.length > 20, 'no token in the body');
    check(await sessionCookie(context), 'the browser stored no token cookie');
  });

  await step('the cookie is HttpOnly, SameSite=Lax, on the API host only', async () => {
    const c = await sessionCookie(context);
    check(c, 'no token cookie');
    check(c.httpOnly === true, `httpOnly is ${c.httpOnly}`);
    check(c.sameSite === 'Lax', `sameSite is ${c.sameSite}`);
    check(c.domain === 'api.example.com', `domain is ${c.domain}`);
    check(c.path === '/', `path is ${c.path}`);
    return `secure=${c.secure}, expires in ${Math.round(c.expires - Date.now() / 1000)} s`;
  });

  await step('no page can read the cookie (document.cookie, front end and API origin)', async () => {
    const here = await app.evaluate(() => document.cookie);
    check(!/(^|;\s*)token=/.test(here), `front end page reads "${here}"`);
    // The API's own origin is where a cookie without HttpOnly would be readable.
    const onApi = await context.newPage();
    try {
      const res = await onApi.goto(`${API_BASE}/api/services`);
      check(res && res.status() === 200, `API page answered ${res && res.status()}`);
      const there = await onApi.evaluate(() => document.cookie);
      check(!/(^|;\s*)token=/.test(there), `a page on ${API} reads "${there}"`);
    } finally {
      await onApi.close();
    }
  });

  await step('me: 200 with the cookie', async () => {
    const r = await call('GET', '/api/auth/me');
    check(!r.rejected && r.status === 200 && r.json?.data?.email === email, show(r));
  });

  await step('me with a Bearer token and no cookie (authorization header preflight)', async () => {
    const r = await app.evaluate(([t]) => window.send('GET', '/api/auth/me', {
      credentials: 'omit', headers: { authorization: `Bearer ${t}` },
    }), [token]);
    check(!r.rejected && r.status === 200 && r.json?.data?.email === email, show(r));
  });

  await step('create a booking: 201', async () => {
    const r = await call('POST', '/api/bookings', { serviceId, ...slot, notes: 'from the browser' });
    check(!r.rejected && r.status === 201, show(r));
    bookingId = r.json?.data?.id;
    check(bookingId && r.json.data.status === 'PENDING', show(r));
    return `booking ${bookingId}`;
  });

  await step('an overlapping booking is refused: 409, readable', async () => {
    const r = await call('POST', '/api/bookings', {
      serviceId, scheduledAt: '2031-03-04T10:15:00.000Z', duration: 30,
    });
    check(!r.rejected && r.status === 409, show(r));
    check(r.json?.success === false && typeof r.json.error === 'string', show(r));
    return r.json.error;
  });

  // The user, still signed in on the front end, opens a page on a site the API does not allow.
  await step('a foreign page in the same browser cannot read me', async () => {
    const evil = await context.newPage();
    try {
      await evil.goto(`${EVIL}/`);
      const r = await evil.evaluate(() => window.call('GET', '/api/auth/me'));
      check(r.rejected, `the foreign page read ${show(r)}`);
      return r.error;
    } finally {
      await evil.close();
    }
  });

  await step('a foreign page\'s write is refused, without the session', async () => {
    const evil = await context.newPage();
    try {
      await evil.goto(`${EVIL}/`);
      const body = JSON.stringify({ serviceId, scheduledAt: '2031-03-05T10:00:00.000Z', duration: 30 });
      // A JSON write needs a preflight, which the API does not grant this origin.
      const preflighted = await evil.evaluate((b) => window.send('POST', '/api/bookings', {
        headers: { 'content-type': 'application/json' }, body: b,
      }), body);
      check(preflighted.rejected, `the preflighted write answered ${show(preflighted)}`);
      // A "simple" request goes out without a preflight; the page gets an opaque answer.
      const simple = await evil.evaluate((b) => window.send('POST', '/api/bookings', {
        mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: b,
      }), body);
      check(!simple.rejected && simple.type === 'opaque' && simple.status === 0,
        `the page saw ${show(simple)}`);
      const seen = net.last('POST', '/api/bookings');
      check(seen && seen.frame().page() === evil, 'the simple write never reached the API');
      // Without the cookie the authorizer refuses it (401); with it, the Origin check (403).
      check([401, 403].includes(seen.status()), `the API answered ${seen.status()}`);
      const sent = await seen.request().allHeaders();
      check(!/(^|;\s*)token=/.test(sent.cookie ?? ''), 'the cross-site write carried the session');
      return `API answered ${seen.status()}; no cookie sent`;
    } finally {
      await evil.close();
    }
  });

  await step('the session is untouched and holds one booking only', async () => {
    const r = await call('GET', '/api/bookings');
    check(!r.rejected && r.status === 200 && Array.isArray(r.json?.data), show(r));
    const ids = r.json.data.map((b) => b.id);
    check(ids.length === 1 && ids[0] === bookingId, `bookings ${ids.join(', ')}`);
  });

  await step('cancel: DELETE /api/bookings/{id}, 200 CANCELLED', async () => {
    const r = await call('DELETE', `/api/bookings/${bookingId}`);
    check(!r.rejected && r.status === 200 && r.json?.data?.status === 'CANCELLED', show(r));
  });

  await step('logout: 200, and the browser drops the cookie', async () => {
    const r = await call('POST', '/api/auth/logout');
    check(!r.rejected && r.status === 200 && r.json?.success === true, show(r));
    check(!(await sessionCookie(context)), 'the token cookie is still in the jar');
  });

  await step('me after logout: 401, readable', async () => {
    const r = await call('GET', '/api/auth/me');
    check(!r.rejected && r.status === 401 && r.json?.success === false, show(r));
    const bearer = await app.evaluate(([t]) => window.send('GET', '/api/auth/me', {
      credentials: 'omit', headers: { authorization: `Bearer ${t}` },
    }), [token]);
    check(!bearer.rejected && bearer.status === 401, `the revoked token: ${show(bearer)}`);
  });

  // A front end can only tell its user when to try again if it can read Retry-After, which is
  // not a header every cross-origin answer may show.
  await step('failed logins end in a 429 whose Retry-After the page can read', async () => {
    for (let attempt = 1; attempt <= MAX_LOGIN_FAILURES + 1; attempt += 1) {
      const r = await call('POST', '/api/auth/login', { email, password: 'not-the-password' });
      check(!r.rejected && [401, 429].includes(r.status), show(r));
      if (r.status === 429) {
        if (!CORS_EXPOSES_HEADERS) {
          return `after ${attempt} attempts; Retry-After not checked (CORS_EXPOSES_HEADERS=0)`;
        }
        check(/^[0-9]+$/.test(r.retryAfter ?? ''), `Retry-After as the page sees it: ${r.retryAfter}`);
        return `after ${attempt} attempts, Retry-After ${r.retryAfter} s`;
      }
    }
    throw new Error(`no 429 after ${MAX_LOGIN_FAILURES + 1} failed logins`);
  }, 90_000);

  await context.close();
}

// A fresh browser whose only page is on the foreign site: it learns nothing and signs in nobody,
// even with the right password.
async function foreignSite(browser) {
  const context = await browser.newContext();
  const net = recordResponses(context);
  const evil = await context.newPage();
  const send = (method, path, init) =>
    evil.evaluate(([m, p, i]) => window.send(m, p, i), [method, path, init]);
  const credentials = JSON.stringify({ email, password });

  await step(`foreign page loads from ${EVIL}`, async () => {
    const res = await evil.goto(`${EVIL}/`);
    check(res && res.status() === 200, `page answered ${res && res.status()}`);
  });

  await step('foreign page: GET /api/services is unreadable (no CORS headers)', async () => {
    const r = await send('GET', '/api/services', {});
    check(r.rejected, `the foreign page read ${show(r)}`);
    const seen = net.last('GET', '/api/services');
    const allowed = seen ? seen.headers()['access-control-allow-origin'] : undefined;
    check(allowed === undefined, `the API allowed ${allowed}`);
    return r.error;
  });

  await step('foreign page: a JSON login is blocked at the preflight', async () => {
    const r = await send('POST', '/api/auth/login', {
      headers: { 'content-type': 'application/json' }, body: credentials,
    });
    check(r.rejected, `the foreign page read ${show(r)}`);
    check(!net.last('POST', '/api/auth/login'), 'the login went out despite the preflight');
  });

  await step('foreign page: a simple login is refused and opaque', async () => {
    const r = await send('POST', '/api/auth/login', {
      mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: credentials,
    });
    check(!r.rejected && r.type === 'opaque', `the page saw ${show(r)}`);
    const seen = net.last('POST', '/api/auth/login');
    check(seen, 'the simple login never reached the API');
    check(seen.status() === 403, `the API answered ${seen.status()}, not 403`);
    check(!seen.headers()['set-cookie'], 'the refusal set a cookie');
  });

  await step('foreign page: no session cookie came of its attempts', async () => {
    const cookies = await context.cookies();
    check(!cookies.some((c) => c.name === 'token'), `cookies: ${cookies.map((c) => c.name)}`);
    const r = await send('GET', '/api/auth/me', {});
    check(r.rejected, `the foreign page read ${show(r)}`);
  });

  await context.close();
}

const timer = setTimeout(() => fatal(`the run took over ${RUN_TIMEOUT_MS} ms`), RUN_TIMEOUT_MS);
try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`FAIL ${err.stack || err}`);
}
clearTimeout(timer);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
