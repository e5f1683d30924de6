// Apollo Client with its PersistedQueryLink (hashed queries over GET, as Apollo recommends) against
// a live keyplane. Prints one JSON object: what each operation returned and every request sent.
// Usage: KEYPLANE_AUDIT_TOKEN=kpm_... node apollo_apq.mjs http://127.0.0.1:PORT/graphql
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [uri] = process.argv.slice(2);
const token = process.env.KEYPLANE_AUDIT_TOKEN;
const requests = [];

async function recordingFetch(input, init = {}) {
  const url = new URL(typeof input === 'string' ? input : input.url);
  const body = init.body ? JSON.parse(init.body) : null;
  const response = await fetch(input, init);
  requests.push({
    method: init.method || 'GET',
    sentQuery: Boolean(url.searchParams.get('query') || (body && body.query)),
    hashed: Boolean(url.searchParams.get('extensions') || (body && body.extensions && body.extensions.persistedQuery)),
    status: response.status,
  });
  return response;
}

const link = new PersistedQueryLink({
  sha256: (text) => createHash('sha256').update(text).digest('hex'),
  useGETForHashedQueries: true,
}).concat(new HttpLink({ uri, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } }));
const client = new ApolloClient({ link, cache: new InMemoryCache() });

const ORGANIZATION = gql`query OrganizationName { organization { name } }`;
const CREATE = gql`mutation CreateProject($name: String!) { createProject(input: { name: $name }) { project { name } errors { code } } }`;
const outcome = { results: [], requests };
try {
  for (let i = 0; i < 2; i += 1) {
    const { data } = await client.query({ query: ORGANIZATION, fetchPolicy: 'network-only' });
    outcome.results.push(data);
  }
  const { data } = await client.mutate({ mutation: CREATE, variables: { name: 'apollo' } });
  outcome.results.push(data);
} catch (error) {
  outcome.error = String(error && error.message ? error.message : error);
}
console.log(JSON.stringify(outcome));
