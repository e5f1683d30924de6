// Runs the graphql-http server audit against a live keyplane and prints one JSON line per audit:
// {"id", "name", "status", "reason"}. Every request carries the management token from
// KEYPLANE_AUDIT_TOKEN (the audit's fetchFn option). Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const [url] = process.argv.slice(2);
const token = process.env.KEYPLANE_AUDIT_TOKEN;
if (!url || !token) {
  console.error('usage: KEYPLANE_AUDIT_TOKEN=kpm_... node audit.mjs URL');
  process.exit(2);
}

function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithToken });
for (const { id, name, status, reason } of results) {
  console.log(JSON.stringify({ id, name, status, reason: reason ?? null }));
}
