// A local OpenID Connect provider for Palisade's single sign-on tests and the demo: panva's
// oidc-provider (an OpenID Certified implementation) with its development login page, on
// loopback.
//
// Environment:
//   OIDC_PORT      the port to listen on (the issuer is http://127.0.0.1:PORT)
//   OIDC_CLIENTS   JSON list of clients (client_id, client_secret, redirect_uris,
//                  post_logout_redirect_uris, backchannel_logout_uri)
//   OIDC_ACCOUNTS  JSON object: sub -> claims (email, email_verified, name, org_code, nhs_roles)
//   OIDC_TEST_HELPERS=1  also answers POST /test/sign {claims, header}: the claims signed with
//                  the provider's own key, for the tests of tokens the provider would not issue
//
// Every start makes a new signing key (with a new kid): restarting the provider rotates its key.
// Prints one line, "ready ISSUER KID", once it listens.
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';

const port = Number(process.env.OIDC_PORT || 0);
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const helpers = process.env.OIDC_TEST_HELPERS === '1';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

function start(listenPort) {
  const issuer = `http://127.0.0.1:${listenPort}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      backchannel_logout_session_required: true,
      ...c,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomUUID()] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      nhs: ['org_code', 'nhs_roles'],
    },
    scopes: ['openid', 'email', 'profile', 'nhs'],
    // The claims of the granted scopes go in the ID token itself, as Palisade reads them there.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // The clients (Palisade under test) are on loopback, which the provider's guard against
    // requests to special-use addresses would refuse: this provider only ever runs on loopback.
    fetch: (url, options) => {
      const { dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    async findAccount(ctx, sub) {
      const claims = accounts[sub];
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...claims }) };
    },
    // Palisade is a first-party client: no consent page, every requested scope granted.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile nhs');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  provider.on('backchannel.error', (_client, err) => console.error('backchannel.error', err.message, err.cause?.message ?? ''));

  if (helpers) {
    provider.use(async (ctx, next) => {
      if (ctx.method === 'POST' && ctx.path === '/test/sign') {
        const chunks = [];
        for await (const chunk of ctx.req) chunks.push(chunk);
        const { claims, header } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const key = await importJWK(jwk, 'RS256');
        ctx.body = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, ...(header || {}) })
          .sign(key);
        ctx.type = 'text/plain';
        return;
      }
      await next();
    });
  }
  return { provider, issuer };
}

// Listen first (port 0 picks a free port), then build the provider for that address.
import http from 'node:http';

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const { provider, issuer } = start(server.address().port);
  server.on('request', provider.callback());
  console.log(`ready ${issuer} ${jwk.kid}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
