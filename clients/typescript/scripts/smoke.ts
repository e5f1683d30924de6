/**
 * Drives a live keyplane through every generated typed document (every operation of
 * graphql/queries/) with Node's fetch, and prints what it saw as one JSON line, with the names of
 * the operations it sent (tests/clients/test_typescript_client.py checks it against the server and
 * against graphql/queries/, as tests/clients/python_scenario.py does for the Python client).
 * Usage: KEYPLANE_GRAPHQL_URL=http://127.0.0.1:8000/graphql KEYPLANE_TOKEN=kpm_… node dist/scripts/smoke.js
 */
import { Kind, parse } from "graphql";

import { createClient } from "../src/client.js";
import {
  ApiKeyDocument,
  ApiKeyUsageDocument,
  AuditAction,
  AuditEventsDocument,
  CatalogDocument,
  CreateApiKeyDocument,
  CreateProjectDocument,
  CreateWebhookDocument,
  DeleteApiKeyDocument,
  DeleteWebhookDocument,
  ErrorCode,
  IamRuleType,
  KeyFilter,
  NodeDocument,
  OrganizationDocument,
  ProjectApiKeysDocument,
  ProjectWebhooksDocument,
  RenameApiKeyDocument,
  ResendWebhookDeliveryDocument,
  RollApiKeyDocument,
  SetApiKeyEnabledDocument,
  SetApiKeyIamRulesDocument,
  TtlUnit,
  UpdateApiKeyLimitsDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  WebhookEventType,
  WindowUnit,
} from "../src/generated/graphql.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: boolean, what: string, seen?: unknown): asserts condition {
  if (!condition) throw new Error(`${what}${seen === undefined ? "" : `: ${JSON.stringify(seen)}`}`);
}

/** The names of the operations sent, read from each request's document as it goes out. */
const sent: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  const body = typeof init?.body === "string" ? (JSON.parse(init.body) as { query?: string }) : {};
  for (const definition of parse(body.query ?? "").definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) sent.push(definition.name.value);
  }
  return fetch(input, init);
};

const client = createClient(required("KEYPLANE_GRAPHQL_URL"), required("KEYPLANE_TOKEN"), recordingFetch);

// a project and a key with both limits and a rule
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

// reading a key: by id, as a node, and its (empty) usage
const fetched = (await client.request(ApiKeyDocument, { id: apiKey.id })).apiKey;
check(fetched?.name === "ts-key" && fetched.project.id === project.id, "apiKey", fetched);
const node = (await client.request(NodeDocument, { id: apiKey.id })).node;
check(node?.__typename === "ApiKey" && node.name === "ts-key", "node", node);
const usage = (await client.request(ApiKeyUsageDocument, { id: apiKey.id, first: 5 })).apiKey;
check(usage?.usage === "0" && usage.usageRecords.edges.length === 0 && usage.usageSummary.requests === 0, "apiKeyUsage", usage);

// disabling and enabling, and the rules replaced (a provider the catalog knows)
const catalog = await client.request(CatalogDocument);
check(catalog.providers.includes("openai") && catalog.models.length > 0, "catalog", catalog.providers);
const disabled = (await client.request(SetApiKeyEnabledDocument, { input: { id: apiKey.id, enabled: false } })).setApiKeyEnabled;
const enabled = (await client.request(SetApiKeyEnabledDocument, { input: { id: apiKey.id, enabled: true } })).setApiKeyEnabled;
const rules = (await client.request(SetApiKeyIamRulesDocument, {
  input: { id: apiKey.id, rules: [{ type: IamRuleType.AllowModels, values: ["openai/*"] }] },
})).setApiKeyIamRules;

// a webhook for rolls: the roll below writes a delivery (this server sends nothing: it waits in the log)
const hook = (await client.request(CreateWebhookDocument, {
  input: { projectId: project.id, url: "https://93.184.216.34/keyplane", events: [WebhookEventType.KeyRolled] },
})).createWebhook;
if (!hook.webhook || !hook.secret) throw new Error(`createWebhook failed: ${JSON.stringify(hook.errors)}`);
const updatedHook = (await client.request(UpdateWebhookDocument, {
  input: { id: hook.webhook.id, description: "rotations" },
})).updateWebhook;
const hooks = (await client.request(ProjectWebhooksDocument, { projectId: project.id })).project?.webhooks ?? [];

const rolled = (await client.request(RollApiKeyDocument, {
  input: { id: apiKey.id, gracePeriod: { value: 1, unit: TtlUnit.Hour } },
})).rollApiKey;
const log = (await client.request(WebhookDeliveriesDocument, { id: hook.webhook.id })).node;
const deliveries = log && "deliveries" in log ? log.deliveries.edges.map((edge) => edge.node) : [];
const [delivery] = deliveries;
if (!delivery) throw new Error(`no delivery in the log: ${JSON.stringify(log)}`);
const resent = (await client.request(ResendWebhookDeliveryDocument, { input: { id: delivery.id } })).resendWebhookDelivery;
const audit = (await client.request(AuditEventsDocument, {
  filter: { targetId: apiKey.id, actions: [AuditAction.KeyRolled] },
})).organization.auditEvents;
const hookDeleted = (await client.request(DeleteWebhookDocument, { input: { id: hook.webhook.id } })).deleteWebhook;

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
  statuses: [disabled.apiKey?.status ?? null, enabled.apiKey?.status ?? null],
  rules: rules.apiKey?.iamRules.map((rule) => ({ type: rule.type, values: rule.values })) ?? null,
  webhookSecretPrefix: hook.secret.slice(0, 6),
  webhookDescription: updatedHook.webhook?.description ?? null,
  listedWebhookIds: hooks.map((h) => h.id),
  webhookId: hook.webhook.id,
  rolledSecretPrefix: rolled.secret?.slice(0, 3) ?? null,
  deliveryTypes: deliveries.map((d) => d.eventType),
  resentEventId: resent.delivery?.eventId ?? null,
  deliveryEventId: delivery.eventId,
  rollAudits: audit.totalCount,
  deletedWebhookId: hookDeleted.deletedId,
  deletedId: deleted.deleteApiKey.deletedId,
  projectNames: organization.organization.projects.map((p) => p.name),
  operations: sent,
}));
