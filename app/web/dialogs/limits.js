// "Update limits": the all-time and recurring caps and the alert thresholds of a key; only
// what changed is sent (left out = unchanged, null = removed).
import { field, formError, h, icon, nextId, openModal, toast } from '../dom.js';
import { compareMoney, money, timeEl } from '../format.js';
import { limitInputs } from './key-fields.js';
import { footerButtons, submitMutation } from './submit.js';

export function limitsDialog(key, ctx) {
  const formId = nextId('limits');
  const limits = limitInputs(key.limits);
  const period = key.currentPeriod;
  const thresholds = h('input', {
    type: 'text', class: 'input', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false',
    value: (key.alertThresholds ?? [80]).join(', '), placeholder: '80',
  });
  const form = h('form', { id: formId, class: 'form' },
    period
      ? h('div', { class: 'callout callout--info' }, icon('clock'), h('div', {},
        h('strong', {}, `Current period: ${money(period.usage)} of ${money(period.limit)} used`),
        h('p', {}, 'Resets ', timeEl(period.resetsAt), '. Changing the recurring amount or window starts a new window with zero usage.')))
      : null,
    limits.el,
    field({
      label: 'Alert at (% of each limit)', control: thresholds, path: 'alertThresholds',
      hint: 'Up to 5 percentages from 1 to 100, comma-separated; the project’s webhooks are told when usage reaches each one. Empty: no threshold alerts.',
    }),
    h('p', { class: 'muted' }, `All-time usage so far: ${money(key.usage)}.`),
    formError());
  const modal = openModal({ title: 'Update limits', description: `Spend caps for “${key.name}”.`, body: form, returnFocus: ctx.returnFocus });
  const { cancel, submit } = footerButtons(modal, formId, 'Save limits');
  modal.footer.append(cancel, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { allTime, recurring } = limits.read();
    const input = { id: key.id };
    // left out = unchanged; null = removed
    const before = key.limits;
    if (allTime === null ? before.allTime !== null : before.allTime === null || compareMoneySafe(allTime, before.allTime) !== 0) input.allTimeLimit = allTime;
    const sameRecurring = recurring && before.recurring && compareMoneySafe(recurring.amount, before.recurring.amount) === 0
      && recurring.window.value === before.recurring.window.value && recurring.window.unit === before.recurring.window.unit;
    if (recurring === null ? before.recurring !== null : !sameRecurring) input.recurringLimit = recurring;
    const wanted = parseThresholds(thresholds.value);
    if (wanted.join(',') !== (key.alertThresholds ?? [80]).join(',')) input.alertThresholds = wanted;
    if (Object.keys(input).length === 1) { modal.close(); toast('No changes to save.'); return; }
    const payload = await submitMutation(form, submit, ctx, 'UpdateApiKeyLimits', input);
    if (!payload) return;
    await ctx.reload();
    modal.close();
    toast(`Limits of “${payload.apiKey.name}” updated.`, 'success');
  });
  return modal;
}

/** "50, 80" → [50, 80] (sorted, as the server keeps them); a bad value is sent as typed for the server to refuse. */
function parseThresholds(text) {
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => Number(part))
    .sort((a, b) => a - b);
}

function compareMoneySafe(a, b) {
  try { return compareMoney(a, b); } catch { return a === b ? 0 : 1; }
}
