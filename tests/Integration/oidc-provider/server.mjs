// oidc-provider as a test OP for OidcRp's integration suite.
//
// One process serves one issuer on 127.0.0.1:<port>. Besides the OP itself it offers test-only
// routes under /__test to rotate the signing key at runtime and to count requests, as OidcRp's
// claims are measured at the OP:
//   POST /__test/rotate?mode=keep|drop|stage|promote|unpublished|revert   -> { kid, signing, published }
//   POST /__test/client-secret (form: secret)   -> the client's secret changes at once (the old one is refused)
//   POST /__test/jwks?down=true|false                               -> JWKS answers 503 while down
//   GET  /__test/counts                                             -> { discovery, jwks, token, authorization }
//   GET  /__test/state                                              -> { signing, published }
//
// API access tokens: the client may use the client-credentials grant, and with a resource indicator
// (RFC 8707, resource=API_RESOURCE) the access token is a JWT (RFC 9068, typ at+jwt) for audience
// API_AUDIENCE, signed RS256 with the same keys (and JWKS) as the ID tokens.
//
// oidc-provider has no API to change keys at runtime, so a rotation rebuilds the Provider with the
// new key order; every build shares one in-memory store and the cookie keys are fixed, so
// sessions, grants and codes in flight survive. The JWKS is served by this wrapper from its own
// "published" list, which lets a test sign with a key the OP never publishes.
//
// Usage: node server.mjs --port 0 --client-id ID --client-secret S --redirect-uri URI [--redirect-uri URI]
// Prints one line "READY <issuer>" on stdout when listening.
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';
// The package's own in-memory adapter (the version is pinned by the lock file). Each Provider built
// with the default adapter gets a fresh store, so one store is created here and shared by every
// rebuild: sessions, interactions, grants and codes in flight survive a rotation.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});

const users = {
  alice: { password: 'alice-password', name: 'Alice Tester', email: 'alice@example.test' },
  bob: { password: 'bob-password', name: 'Bob Tester', email: 'bob@example.test' },
  admin: { password: 'admin-password', name: 'Admin Tester', email: 'admin@example.test' },
};

const API_RESOURCE = 'https://api.oidcrp.test/';
const API_AUDIENCE = 'oidcrp-api';

const counts = { discovery: 0, jwks: 0, token: 0, authorization: 0 };
let jwksDown = false;
let keySerial = 0;

function newKey() {
  keySerial += 1;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `op-${process.pid}-${keySerial}-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };
}

function publicJwk({ kty, n, e, kid, alg, use }) {
  return { kty, n, e, kid, alg, use };
}

// The provider signs with the first key of signingOrder; published is what /jwks serves.
let signingOrder = [newKey()];
let published = [...signingOrder];
let staged = null;
const history = []; // keys that signed before each rotation, for 'revert'
const adapter = createMemoryAdapter(0);
let provider;
let handler;
let issuer;

const cookieKeys = ['oidcrp-test-cookie-key-1', 'oidcrp-test-cookie-key-2'];

function build() {
  const p = new Provider(issuer, {
    clients: [{
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      post_logout_redirect_uris: args['post-logout-redirect-uri'],
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    adapter,
    jwks: { keys: signingOrder },
    cookies: { keys: cookieKeys },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Logins without a resource keep their opaque access token; only API_RESOURCE is known.
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        async getResourceServerInfo(ctx, resourceIndicator) {
          if (resourceIndicator !== API_RESOURCE) throw new errors.InvalidTarget();
          return { scope: 'api:read api:write', audience: API_AUDIENCE, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation page, with the "yes, sign me out" choice made (a browser clicking it).
        async logoutSource(ctx, form) {
          const confirm = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/><button type="submit">Sign out</button></form>');
          ctx.body = `<!doctype html><html><head><title>Test OP</title></head><body><h1>Sign out?</h1>${confirm}</body></html>`;
        },
      },
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    scopes: ['openid', 'profile', 'email'],
    async findAccount(ctx, sub) {
      const user = users[sub];
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: user.name, email: user.email, email_verified: true }) };
    },
    // Consent is implied for the test client: the login form is the only interaction.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  p.on('server_error', (ctx, err) => console.error('server_error', err?.message));
  return p;
}

function rotate(mode) {
  const previous = signingOrder[0];
  if (mode !== 'revert' && mode !== 'stage') history.push(previous);
  switch (mode) {
    case 'keep': { // Keycloak's "passive": the old key stays published, the new one signs
      const next = newKey();
      signingOrder = [next, ...signingOrder];
      published = [next, ...published];
      break;
    }
    case 'drop': { // the old key is gone at once
      const next = newKey();
      signingOrder = [next];
      published = [next];
      break;
    }
    case 'stage': { // publish the next key before it signs
      staged = newKey();
      signingOrder = [...signingOrder, staged];
      published = [...published, staged];
      break;
    }
    case 'promote': { // the staged key starts signing
      if (!staged) throw new Error('nothing staged');
      signingOrder = [staged, ...signingOrder.filter((k) => k.kid !== staged.kid)];
      staged = null;
      break;
    }
    case 'unpublished': { // sign with a key the JWKS never shows
      const secret = newKey();
      signingOrder = [secret, ...signingOrder];
      break;
    }
    case 'revert': { // the key that signed before the last rotation signs again
      const back = history.pop();
      if (!back) throw new Error('nothing to revert to');
      signingOrder = [back, ...signingOrder.filter((k) => k.kid !== back.kid)];
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  provider = build();
  handler = provider.callback();
  return { previous: previous.kid, kid: signingOrder[0].kid, signing: signingOrder[0].kid, published: published.map((k) => k.kid) };
}

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><title>Test OP</title></head><body>${body}</body></html>`);
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return html(res, 400, 'interaction mismatch');
  if (req.method === 'GET') {
    return html(res, 200, `<h1>Sign in</h1><form id="login" method="post" action="/interaction/${escape(uid)}/login">
      <label>Username <input type="text" name="username" value=""/></label>
      <label>Password <input type="password" name="password" value=""/></label>
      <button type="submit">Sign in</button></form>`);
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const user = users[form.get('username')];
    if (!user || user.password !== form.get('password')) {
      return html(res, 401, '<p>Wrong username or password.</p>');
    }
    return provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
  }
  return html(res, 404, 'not found');
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/__test/')) {
      if (url.pathname === '/__test/rotate' && req.method === 'POST') return json(res, 200, rotate(url.searchParams.get('mode')));
      if (url.pathname === '/__test/jwks' && req.method === 'POST') { jwksDown = url.searchParams.get('down') === 'true'; return json(res, 200, { jwksDown }); }
      if (url.pathname === '/__test/client-secret' && req.method === 'POST') { // the secret in the body, never in a URL
        args['client-secret'] = (await readForm(req)).get('secret');
        provider = build();
        handler = provider.callback();
        return json(res, 200, { changed: true });
      }
      if (url.pathname === '/__test/counts') return json(res, 200, counts);
      if (url.pathname === '/__test/state') return json(res, 200, { signing: signingOrder[0].kid, published: published.map((k) => k.kid) });
      return json(res, 404, { error: 'unknown test route' });
    }
    if (url.pathname === '/.well-known/openid-configuration') counts.discovery += 1;
    if (url.pathname === '/token') counts.token += 1;
    if (url.pathname === '/auth') counts.authorization += 1;
    if (url.pathname === '/jwks') {
      counts.jwks += 1;
      if (jwksDown) return json(res, 503, { error: 'temporarily_unavailable' });
      return json(res, 200, { keys: published.map(publicJwk) });
    }
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    return handler(req, res);
  } catch (err) {
    console.error('test op error', err?.message);
    if (!res.headersSent) json(res, 500, { error: 'server_error' });
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = build();
  handler = provider.callback();
  process.stdout.write(`READY ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0)); // the test process went away
process.stdin.resume();
