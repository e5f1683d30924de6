/**
 * Drives a live keyplane through the generated typed documents with Node's fetch, and prints
 * what it saw as one JSON line (tests/clients/test_typescript_client.py checks it against the
 * server). Usage: KEYPLANE_GRAPHQL_URL=http://127.0.0.1:8000/graphql KEYPLANE_TOKEN=kpm_… node dist/scripts/smoke.js
 */
import { createClient } from "../src/client.js";
import {
  CreateApiKeyDocument,
  CreateProjectDocument,
  DeleteApiKeyDocument,
  ErrorCode,
  IamRuleType,
  KeyFilter,
  OrganizationDocument,
  ProjectApiKeysDocument,
  RenameApiKeyDocument,
  UpdateApiKeyLimitsDocument,
  WindowUnit,
} from "../src/generated/graphql.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const client = createClient(required("KEYPLANE_GRAPHQL_URL"), required("KEYPLANE_TOKEN"));

const created = await client.request(CreateProjectDocument, { input: { name: "From TypeScript" } });
const project = created.createProject.project;
if (!project) throw new Error(`createProject failed: ${JSON.stringify(created.createProject.errors)}`);

const key = await client.request(CreateApiKeyDocument, {
  input: {
    projectId: project.id,
    name: "ts-key",
    allTimeLimit: "0.000000001",
    recurringLimit: { amount: "12.5", window: { value: 1, unit: WindowUnit.Day } },
    iamRules: [{ type: IamRuleType.AllowProviders, values: ["openai"] }],
  },
});
const apiKey = key.createApiKey.apiKey;
if (!apiKey || !key.createApiKey.secret) throw new Error(`createApiKey failed: ${JSON.stringify(key.createApiKey.errors)}`);

const page = await client.request(ProjectApiKeysDocument, { projectId: project.id, filter: KeyFilter.Active, first: 10 });
const removed = await client.request(UpdateApiKeyLimitsDocument, { input: { id: apiKey.id, allTimeLimit: null } });
const afterRemoval = removed.updateApiKeyLimits.apiKey;
if (!afterRemoval) throw new Error(`updateApiKeyLimits failed: ${JSON.stringify(removed.updateApiKeyLimits.errors)}`);
const refused = await client.request(RenameApiKeyDocument, { input: { id: apiKey.id, name: "   " } });
const validation = refused.renameApiKey.errors.filter((error) => error.code === ErrorCode.Validation);
const deleted = await client.request(DeleteApiKeyDocument, { input: { id: apiKey.id } });
const organization = await client.request(OrganizationDocument);

console.log(JSON.stringify({
  projectId: project.id,
  keyId: apiKey.id,
  secretPrefix: key.createApiKey.secret.slice(0, 3),
  allTimeLimit: apiKey.limits.allTime,
  recurringAmount: apiKey.limits.recurring?.amount ?? null,
  listedKeyIds: page.project?.apiKeys.edges.map((edge) => edge.node.id) ?? [],
  allTimeLimitAfterRemoval: afterRemoval.limits.allTime,
  recurringAfterRemoval: afterRemoval.limits.recurring?.amount ?? null,
  renameErrors: validation.map((error) => ({ code: error.code, field: error.field })),
  renamed: refused.renameApiKey.apiKey,
  deletedId: deleted.deleteApiKey.deletedId,
  projectNames: organization.organization.projects.map((p) => p.name),
}));
