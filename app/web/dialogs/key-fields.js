// The key settings that the create and edit dialogs share: a TTL (value + unit) and the
// all-time and recurring usage limits, each reading back the input the API takes.
import { field, h } from '../dom.js';
import { TTL_BOUNDS, WINDOW_BOUNDS } from '../format.js';
import { cleanMoney, compositeField, moneyInput, numberInput, reveal, select, switchControl } from './controls.js';

/** @typedef {import('../../../clients/typescript/src/generated/graphql').TtlUnit} TtlUnit */
/** @typedef {import('../../../clients/typescript/src/generated/graphql').WindowUnit} WindowUnit */

const TTL_UNITS = [['MINUTE', 'Minutes'], ['HOUR', 'Hours'], ['DAY', 'Days']];
const WINDOW_UNITS = [['HOUR', 'Hours'], ['DAY', 'Days'], ['WEEK', 'Weeks'], ['MONTH', 'Months']];
const UNIT_WORD = { HOUR: 'hours', DAY: 'days', WEEK: 'weeks', MONTH: 'months' };

/** TTL value + unit (minutes/hours/days → MINUTE/HOUR/DAY). */
export function ttlInputs({ path = 'ttl', value = 30, unit = 'DAY', label = 'Expires after' } = {}) {
  const valueInput = numberInput(value, { 'data-error-control': true });
  const unitSelect = select(TTL_UNITS, unit, { 'aria-label': 'Expiration unit' });
  const sync = () => { valueInput.max = String(TTL_BOUNDS[unitSelect.value][1]); };
  unitSelect.addEventListener('change', sync);
  sync();
  const { el } = compositeField({
    label, labelFor: valueInput, controls: [valueInput, unitSelect], path,
    hint: 'The key disables itself once this time has passed.',
  });
  return { el, valueInput, read: () => ({ value: Number.parseInt(valueInput.value, 10), unit: /** @type {TtlUnit} */ (unitSelect.value) }) };
}

/** All-time and recurring limit controls, pre-filled from `limits`. */
export function limitInputs(limits = {}, paths = { allTime: 'allTimeLimit', recurring: 'recurringLimit' }) {
  const allTimeSwitch = switchControl('All-time usage limit', Boolean(limits.allTime), 'Stops the key once its lifetime spend reaches this amount.');
  const allTime = moneyInput(limits.allTime ?? '');
  const allTimePanel = h('div', { class: 'reveal' },
    field({ label: 'Lifetime cap (USD)', control: allTime.input, render: allTime.render, path: paths.allTime }));

  const recurring = limits.recurring;
  const recurringSwitch = switchControl('Recurring usage limit', Boolean(recurring), 'Stops the key once it spends this much within the active window; resets automatically.');
  const amount = moneyInput(recurring?.amount ?? '', {});
  const windowValue = numberInput(recurring?.window.value ?? 1, { 'data-error-control': true });
  const windowUnit = select(WINDOW_UNITS, recurring?.window.unit ?? 'DAY', { 'aria-label': 'Window unit' });
  const windowField = compositeField({ label: 'Every', labelFor: windowValue, controls: [windowValue, windowUnit], path: `${paths.recurring}.window`, hint: ' ' });
  const syncWindow = () => {
    const [min, max] = WINDOW_BOUNDS[windowUnit.value];
    windowValue.min = String(min);
    windowValue.max = String(max);
    windowField.hintEl.textContent = `From ${min} to ${max} ${UNIT_WORD[windowUnit.value]} (1 hour to 12 months).`;
  };
  windowUnit.addEventListener('change', syncWindow);
  syncWindow();
  const recurringPanel = h('div', { class: 'reveal', dataset: { field: paths.recurring } },
    h('div', { class: 'field-grid' },
      field({ label: 'Amount (USD)', control: amount.input, render: amount.render, path: `${paths.recurring}.amount` }),
      windowField.el),
    h('p', { class: 'field__error', role: 'alert', hidden: true }));

  const el = h('div', { class: 'stack' },
    h('div', { class: 'option-card' }, allTimeSwitch.el, allTimePanel),
    h('div', { class: 'option-card' }, recurringSwitch.el, recurringPanel));
  reveal(allTimeSwitch.input, allTimePanel);
  reveal(recurringSwitch.input, recurringPanel);
  return {
    el,
    read: () => ({
      allTime: allTimeSwitch.input.checked ? cleanMoney(allTime.input.value) : null,
      recurring: recurringSwitch.input.checked
        ? { amount: cleanMoney(amount.input.value), window: { value: Number.parseInt(windowValue.value, 10), unit: /** @type {WindowUnit} */ (windowUnit.value) } }
        : null,
    }),
  };
}
