// The GraphQL client. Every operation is a named document of graphql/queries/, fetched from
// /documents/<Name>.graphql (fragments appended by the server): no query strings live here.
// The management token is kept in sessionStorage only, sent in the Authorization header only.

const TOKEN_KEY = 'keyplane.token';

export const session = {
  get token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
  },
  set(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* storage unavailable */ }
  },
};

export class AuthError extends Error {}
export class ApiError extends Error {
  constructor(message, code = null) {
    super(message);
    this.code = code;
  }
}

/** What a person reads for the server's error codes (the API's own messages are for developers). */
const CODE_MESSAGES = {
  UNAVAILABLE: 'keyplane cannot reach its database right now. Nothing was changed; try again in a moment.',
};

const documents = new Map();

function loadDocument(name) {
  if (!documents.has(name)) {
    const request = fetch(`/documents/${encodeURIComponent(name)}.graphql`, { cache: 'no-cache', credentials: 'omit' })
      .then((response) => {
        if (!response.ok) throw new ApiError(`The dashboard could not load the ${name} document (HTTP ${response.status}).`);
        return response.text();
      })
      .catch((error) => {
        documents.delete(name);
        throw error instanceof ApiError ? error : new ApiError("Couldn't reach keyplane. Check the connection and try again.");
      });
    documents.set(name, request);
  }
  return documents.get(name);
}

/** @typedef {import('../../clients/typescript/src/operations').OperationName} OperationName */

/**
 * Run the named document; resolves with `data`, rejects with AuthError or ApiError.
 * @template {OperationName} N
 * @param {N} name
 * @param {import('../../clients/typescript/src/operations').VariablesFor<N>} [variables]
 * @param {string | null} [token]
 * @returns {Promise<import('../../clients/typescript/src/operations').ResultFor<N>>}
 */
export async function run(name, variables = /** @type {any} */ ({}), token = session.token) {
  const query = await loadDocument(name);
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token || ''}` },
      body: JSON.stringify({ query, variables, operationName: name }),
    });
  } catch {
    throw new ApiError("Couldn't reach keyplane. Check the connection and try again.");
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (response.status === 401) throw new AuthError('That token was not accepted. Paste a valid management token (kpm_…).');
  if (response.status === 403) throw new AuthError(body?.errors?.[0]?.message || 'This token may not use the dashboard: use a management token (kpm_…).');
  const code = body?.errors?.find((e) => CODE_MESSAGES[e.extensions?.code])?.extensions.code
    || (response.status === 503 ? 'UNAVAILABLE' : null);
  if (code) throw new ApiError(CODE_MESSAGES[code], code);
  if (!body) throw new ApiError(`keyplane answered HTTP ${response.status}. Try again.`);
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join(' '));
  if (!response.ok) throw new ApiError(`keyplane answered HTTP ${response.status}. Try again.`);
  return body.data;
}

/**
 * Run a mutation document with `{input}`; resolves with its payload ({…, errors}).
 * @template {OperationName} N
 * @param {N} name
 * @param {import('../../clients/typescript/src/operations').InputFor<N>} input
 * @returns {Promise<import('../../clients/typescript/src/operations').PayloadFor<N>>}
 */
export async function mutate(name, input) {
  const data = await run(name, /** @type {any} */ ({ input }));
  return Object.values(data)[0];
}

/** Preload documents so the first interaction does not wait on them. */
export function preload(...names) {
  names.forEach((name) => loadDocument(name).catch(() => {}));
}
