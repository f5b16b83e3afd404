// panva's oidc-provider, configured like govsignin for bench/compare.py's side-by-side figures.
//
//   node server.mjs   (Node 22 from node_modules/.bin/node; bench/compare.py starts it)
//
// Environment: PORT, CLIENT_ID, CLIENT_JWK (the client's public ES256 JWK, JSON),
// REDIRECT_URI, and REDIS_URL (optional). Signing keys: generated at start-up (below). Adapter:
// with REDIS_URL, redis-adapter.mjs (a shared store, as several processes need); otherwise the
// built-in in-memory one. Every interaction auto-logs-in a fixed account and grants the requested
// scope: the benchmark needs signed-in browsers for silent SSO, not a login page.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const adapter = process.env.REDIS_URL ? (await import('./redis-adapter.mjs')).default : undefined;

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientJwk = JSON.parse(process.env.CLIENT_JWK);

// The same published key set as govsignin's JWKS: ES256 and RS256, each as the current key and
// the next one (govsignin publishes its next keys ahead of rotation), so the JWKS bodies match
// in shape and size. The first ES256 key signs, as govsignin's current ES256 key does.
function jwk(type, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg };
}
const signingKeys = [
  jwk('ec', { namedCurve: 'P-256' }, 'bench-es256', 'ES256'),
  jwk('rsa', { modulusLength: 2048 }, 'bench-rs256', 'RS256'),
  jwk('ec', { namedCurve: 'P-256' }, 'bench-es256-next', 'ES256'),
  jwk('rsa', { modulusLength: 2048 }, 'bench-rs256-next', 'RS256'),
];

const ACCOUNT = {
  sub: 'urn:fdc:bench:fixed-account',
  email: 'bench@example.com',
  email_verified: true,
  phone_number: '+447700900000',
  phone_number_verified: true,
};

const provider = new Provider(issuer, {
  ...(adapter ? { adapter } : {}),
  clients: [{
    client_id: process.env.CLIENT_ID,
    redirect_uris: [process.env.REDIRECT_URI],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    id_token_signed_response_alg: 'ES256',
    jwks: { keys: [clientJwk] },
  }],
  jwks: { keys: signingKeys },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  cookies: { keys: ['bench-cookie-key-not-secret'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => false }, // as the govsignin bench service (require_pkce=False)
  routes: { jwks: '/.well-known/jwks.json' },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    return { accountId: ACCOUNT.sub, async claims() { return ACCOUNT; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { params, prompt } = details;
  const result = {};
  if (prompt.name === 'login') {
    result.login = { accountId: ACCOUNT.sub };
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: ACCOUNT.sub, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  result.consent = { grantId: await grant.save() };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      console.error(err);
      res.statusCode = 500;
      res.end(String(err));
    });
  } else if (req.url === '/healthz') {
    res.end('ok');
  } else {
    callback(req, res);
  }
}).listen(port, '127.0.0.1', () => console.log(`oidc-provider ${issuer}`));
