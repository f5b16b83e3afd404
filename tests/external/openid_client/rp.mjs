// A relying party built on panva's openid-client v6, run by tests/external/test_openid_client.py.
//
// Input: one JSON object, as the first argument or on stdin:
//   {command: "start" | "finish", issuer, client_id, private_jwk (ES256, with kid), redirect_uri,
//    scope?, vtr?, id_token_alg?,                      // optional, with GOV.UK defaults
//    assertion_aud?: "issuer" | "token_endpoint",      // client assertion audience (default issuer)
//    assertion_lifetime?: seconds,                     // client assertion exp - iat (default 60)
//    callback_url, code_verifier, state, nonce}        // finish only
// Output: one JSON object on stdout.
//   start  -> {url, code_verifier, state, nonce}
//   finish -> {claims, id_token_header, userinfo, token_type, expires_in, assertion}
// On failure: exit 1 with JSON {error: {name, code, message, error, error_description, status,
// body}} on stderr.
import * as client from 'openid-client'

async function readInput() {
  if (process.argv[2]) return JSON.parse(process.argv[2])
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  if (!text.trim()) throw new Error('usage: node rp.mjs \'{"command": "start" | "finish", ...}\'')
  return JSON.parse(text)
}

function need(input, ...names) {
  for (const name of names) {
    if (input[name] === undefined) throw new Error(`missing "${name}" in the input`)
  }
}

function decodeJwtPart(jwt, index) {
  return JSON.parse(Buffer.from(jwt.split('.')[index], 'base64url').toString())
}

async function configure(input) {
  need(input, 'issuer', 'client_id', 'private_jwk', 'redirect_uri')
  const { kid, ...jwk } = input.private_jwk
  if (!kid) throw new Error('private_jwk needs a "kid"')
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' },
    false, ['sign'])

  // The last client assertion sent, reported by "finish" so that tests can see what was signed.
  const sent = {}
  const auth = client.PrivateKeyJwt({ key, kid }, {
    [client.modifyAssertion]: (header, payload) => {
      if (input.assertion_lifetime) payload.exp = payload.iat + input.assertion_lifetime
      if (input.assertion_aud === 'token_endpoint') payload.aud = config.serverMetadata().token_endpoint
      Object.assign(sent, { header: { ...header }, payload: { ...payload } })
    },
  })
  const config = await client.discovery(
    new URL(input.issuer),
    input.client_id,
    { id_token_signed_response_alg: input.id_token_alg ?? 'ES256' },
    auth,
    {
      execute: [
        // The provider under test serves plain http on loopback (http://localhost:<port>); this
        // option is only here for that. Never use it against a real issuer.
        client.allowInsecureRequests,
        // Also verify the ID token's signature against the provider's jwks_uri. openid-client
        // skips that by default for ID tokens that come straight from the token endpoint.
        client.enableNonRepudiationChecks,
      ],
    },
  )
  return { config, sent }
}

async function start(input) {
  const { config } = await configure(input)
  const code_verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: input.scope ?? 'openid email phone',
    vtr: JSON.stringify(input.vtr ?? ['Cl.Cm']),
    code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  return { url: url.href, code_verifier, state, nonce }
}

async function finish(input) {
  need(input, 'callback_url', 'code_verifier', 'state', 'nonce')
  const { config, sent } = await configure(input)
  // Checks state, PKCE, and the ID token (signature, iss, aud, exp, iat, nonce).
  const tokens = await client.authorizationCodeGrant(config, new URL(input.callback_url), {
    pkceCodeVerifier: input.code_verifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  })
  const claims = tokens.claims()
  // Checks that the userinfo sub equals the ID token's.
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  return {
    claims,
    id_token_header: decodeJwtPart(tokens.id_token, 0),
    userinfo,
    token_type: tokens.token_type,
    expires_in: tokens.expires_in,
    assertion: sent,
  }
}

try {
  const input = await readInput()
  const commands = { start, finish }
  if (!commands[input.command]) throw new Error(`unknown command ${JSON.stringify(input.command)}`)
  process.stdout.write(JSON.stringify(await commands[input.command](input)) + '\n')
} catch (err) {
  const report = { name: err.name, code: err.code, message: err.message }
  // openid-client's ResponseBodyError and friends carry what the provider answered.
  for (const field of ['error', 'error_description', 'status']) {
    if (err[field] !== undefined) report[field] = err[field]
  }
  const { cause } = err
  if (cause instanceof Response) {
    // An unexpected HTTP answer: say which request it was and what came back.
    report.response = { url: cause.url, status: cause.status, body: await cause.text() }
  } else if (cause !== undefined) {
    report.cause = cause instanceof Error ? String(cause) : cause
  }
  process.stderr.write(JSON.stringify({ error: report }) + '\n')
  process.exitCode = 1
}
