// What the page says about a server's `errors { code field message }`: the field's label as
// the form shows it, and a sentence a person would write. The API's own messages (which name
// API fields: "allTimeLimit must not be negative") stay as they are; only the page rewords.

/** API field paths (indices as []) → the label the forms show. */
const FIELD_LABELS = {
  name: 'Name',
  ttl: 'Expiration',
  allTimeLimit: 'Lifetime cap',
  recurringLimit: 'Recurring limit',
  'recurringLimit.amount': 'Recurring amount',
  'recurringLimit.window': 'Window',
  iamRules: 'IAM rules',
  rules: 'IAM rules',
  projectId: 'Project',
  id: 'This key',
};

/** What the server says (after the field's name) → how a person would say it. */
/** @type {Array<[RegExp, string | ((substring: string, ...groups: string[]) => string)]>} */
const REWORDINGS = [
  [/^must not be negative$/, "can't be negative"],
  [/^must be a decimal number$/, 'must be an amount in dollars, such as 10 or 2.50'],
  [/^must have at most 9 decimal places$/, 'can have at most 9 decimal places'],
  [/^must be at most (\d+)$/, (_, max) => `can be at most $${Number(max).toLocaleString('en-US')}`],
  [/^must not be empty$/, 'is required'],
  [/^must be at most (\d+) characters$/, (_, max) => `can be at most ${max} characters long`],
  [/^must not contain control characters$/, "can't contain control characters"],
  [/^(HOUR|DAY|WEEK|MONTH) windows must be between (\d+) and (\d+)$/,
    (_, unit, low, high) => `must be from ${low} to ${high} ${unit.toLowerCase()}s`],
  [/^value must be at least 1$/, 'must be at least 1'],
  [/^must be at most 3650 days$/, "can't be more than 3650 days (10 years)"],
  [/^must hold at least one value$/, 'needs at least one value'],
];

function ruleLabel(path) {
  const match = /^(?:iam)?[rR]ules\[(\d+)\](?:\.(type|values)(?:\[(\d+)\])?)?/.exec(path);
  if (!match) return null;
  const [, rule, part, value] = match;
  if (value !== undefined) return `Rule ${Number(rule) + 1}, value ${Number(value) + 1}`;
  return part === 'type' ? `Rule ${Number(rule) + 1} type` : `Rule ${Number(rule) + 1}`;
}

/** The label of an API field path, or null when the page has none for it. */
export function fieldLabel(path, labels = {}) {
  if (!path) return null;
  if (labels[path]) return labels[path];
  return ruleLabel(path) || FIELD_LABELS[path] || FIELD_LABELS[path.replace(/\[\d+\]/g, '')] || null;
}

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * "allTimeLimit must not be negative" (field allTimeLimit) → "Lifetime cap can't be negative."
 * `labels` overrides the label of a path for one form (the project dialog's "Project name").
 */
export function describeError({ field, message }, labels = {}) {
  let text = String(message || 'Something went wrong.').trim();
  const label = fieldLabel(field, labels);
  if (!label) return sentence(capitalize(text));
  // the API starts many messages with the field's path or its last part: "recurringLimit.amount must…"
  for (const prefix of [field, field.split('.').pop(), field.replace(/\[\d+\]/g, '')]) {
    if (text.startsWith(`${prefix} `)) { text = text.slice(prefix.length + 1); break; }
  }
  for (const [pattern, replacement] of REWORDINGS) {
    if (pattern.test(text)) { text = typeof replacement === 'string' ? text.replace(pattern, replacement) : text.replace(pattern, replacement); break; }
  }
  const joined = /^(must|can|is|are|needs|may|has)\b/.test(text) ? `${label} ${text}` : `${label}: ${capitalize(text)}`;
  return sentence(capitalize(joined));
}
