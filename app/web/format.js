// Formatting. Money arrives as exact decimal strings ("12.5", "0.000000001") and is shown by
// string manipulation only; proportions (bars, meters) use BigInt nano-dollars, never floats.

const NANOS = 1_000_000_000n;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "12.5" → "$12.50", "1234" → "$1,234.00", "0.0123" → "$0.0123" (at least two decimals, no rounding). */
export function money(amount) {
  if (amount === null || amount === undefined || amount === '') return '—';
  const match = DECIMAL.exec(String(amount).trim());
  if (!match) return String(amount);
  const [, sign, rawInt, rawFrac = ''] = match;
  const int = rawInt.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let frac = rawFrac.replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}$${int}.${frac}`;
}

/**
 * money(amount) in a <span class="amount">, breakable only after a thousands separator or
 * before the decimals (<wbr>), so that a huge amount wraps in a narrow column instead of
 * widening the page; the text stays exactly money(amount).
 */
export function amountEl(amount) {
  const el = document.createElement('span');
  el.className = 'amount';
  money(amount).split(/(?<=,)|(?=\.)/).forEach((part, index) => {
    if (index) el.append(document.createElement('wbr'));
    el.append(part);
  });
  return el;
}

/** Exact decimal string → BigInt nano-dollars (null when not a decimal). */
export function toNanos(amount) {
  const match = DECIMAL.exec(String(amount ?? '').trim());
  if (!match) return null;
  const [, sign, int, frac = ''] = match;
  const value = BigInt(int) * NANOS + BigInt((frac + '000000000').slice(0, 9));
  return sign ? -value : value;
}

/** part / whole scaled to 0..scale, as an integer (for geometry), computed exactly. */
export function proportion(part, whole, scale = 100) {
  const p = toNanos(part);
  const w = toNanos(whole);
  if (p === null || w === null || w <= 0n) return p && p > 0n ? scale : 0;
  const value = (p * BigInt(scale)) / w;
  return Number(value > BigInt(scale) ? BigInt(scale) : value < 0n ? 0n : value);
}

/** Compare two decimal strings exactly: -1, 0, 1. */
export function compareMoney(a, b) {
  const x = toNanos(a); const y = toNanos(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

function parseDate(value) {
  if (!value) return null;
  // Trim microseconds to milliseconds: "2026-01-31T10:00:00.123456+00:00".
  const trimmed = String(value).replace(/(\.\d{3})\d+/, '$1');
  const date = new Date(trimmed);
  return Number.isNaN(date.getTime()) ? null : date;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/**
 * A <time> element with a precise tooltip.
 * @param {string | null | undefined} value
 * @param {{ dateOnly?: boolean, className?: string }} [options]
 */
export function timeEl(value, { dateOnly: onlyDate = false, className } = {}) {
  const el = document.createElement('time');
  const date = parseDate(value);
  if (!date) { el.textContent = '—'; return el; }
  el.dateTime = date.toISOString();
  el.title = fullDateTime.format(date);
  el.textContent = onlyDate ? dateOnly.format(date) : dateTime.format(date);
  if (className) el.className = className;
  return el;
}

/** "2026-01-31" (a UTC day) → "Jan 31". */
export function shortDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
}

const UNIT_NAMES = {
  MINUTE: ['minute', 'minutes'], HOUR: ['hour', 'hours'], DAY: ['day', 'days'], WEEK: ['week', 'weeks'], MONTH: ['month', 'months'],
};

export function windowLabel(window) {
  if (!window) return '';
  const [one, many] = UNIT_NAMES[window.unit] || [window.unit.toLowerCase(), window.unit.toLowerCase()];
  return `${window.value} ${window.value === 1 ? one : many}`;
}

export function recurringLabel(recurring) {
  return recurring ? `${money(recurring.amount)} / ${windowLabel(recurring.window)}` : '';
}

export const WINDOW_BOUNDS = { HOUR: [1, 8760], DAY: [1, 365], WEEK: [1, 52], MONTH: [1, 12] };
export const TTL_BOUNDS = { MINUTE: [1, 3650 * 24 * 60], HOUR: [1, 3650 * 24], DAY: [1, 3650] };

export const RULE_TYPES = [
  ['ALLOW_MODELS', 'Allow models'], ['DENY_MODELS', 'Deny models'],
  ['ALLOW_PROVIDERS', 'Allow providers'], ['DENY_PROVIDERS', 'Deny providers'],
  ['ALLOW_PRICING', 'Allow pricing'], ['DENY_PRICING', 'Deny pricing'],
];
export const ruleLabel = (type) => (RULE_TYPES.find(([t]) => t === type) || [type, type])[1];
export const ruleSubject = (type) => type.split('_')[1]; // MODELS | PROVIDERS | PRICING

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export const PLAN_NAMES = { FREE: 'Free', PRO: 'Pro', ENTERPRISE: 'Enterprise' };

/** BigInt nano-dollars → exact decimal string ("0.25"). */
export function fromNanos(nanos) {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const int = abs / NANOS;
  const frac = (abs % NANOS).toString().padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}
