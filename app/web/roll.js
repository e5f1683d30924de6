// "Roll key": a new secret for the same key, shown once as at creation; the previous secret
// keeps working through the grace picked here (none, 1 hour, 1 day, 7 days or custom).
import { ApiError, AuthError, mutate } from './api.js';
import { showSecret } from './dialogs/create-key.js';
import { busy, clearErrors, formError, h, icon, nextId, openModal, showErrors } from './dom.js';
import { timeEl } from './format.js';

const GRACES = [
  ['none', 'None: the current key stops working now', null],
  ['hour', '1 hour', { value: 1, unit: 'HOUR' }],
  ['day', '1 day', { value: 1, unit: 'DAY' }],
  ['week', '7 days', { value: 7, unit: 'DAY' }],
  ['custom', 'Custom', null],
];
const UNITS = [['MINUTE', 'Minutes'], ['HOUR', 'Hours'], ['DAY', 'Days']];

/** The list's note under the masked key while the previous secret still works. */
export function previousKeyNote(key) {
  if (!key.previousKeyExpiresAt) return null;
  return h('span', { class: 'cell-sub previous-key' }, 'Previous key valid until ', timeEl(key.previousKeyExpiresAt));
}

export function rollDialog(key, ctx) {
  const formId = nextId('roll');
  const name = `${formId}-grace`;
  const radios = GRACES.map(([value, label], index) => {
    const input = h('input', { type: 'radio', name, value, checked: index === 2 });
    return { value, input, el: h('label', { class: 'choice' }, input, h('span', {}, label)) };
  });
  const customValue = h('input', {
    type: 'number', class: 'input input--number', min: '1', step: '1', value: '12', 'aria-label': 'Custom grace period',
    'data-error-control': true,
  });
  const customUnit = h('select', { class: 'select', 'aria-label': 'Custom grace unit' },
    UNITS.map(([v, label]) => h('option', { value: v, selected: v === 'HOUR' }, label)));
  const custom = h('div', { class: 'field-grid', hidden: true }, customValue, customUnit);
  const chosen = () => radios.find((r) => r.input.checked).value;
  radios.forEach((r) => r.input.addEventListener('change', () => { custom.hidden = chosen() !== 'custom'; }));

  const form = h('form', { id: formId, class: 'form' },
    h('fieldset', { class: 'field', dataset: { field: 'gracePeriod' } },
      h('legend', { class: 'field__label' }, 'Grace period for the current key'),
      h('div', { class: 'stack' }, radios.map((r) => r.el)),
      custom,
      h('p', { class: 'field__hint' }, 'Requests with the current key keep working this long (at most 30 days).'),
      h('p', { class: 'field__error', role: 'alert', hidden: true })),
    formError());
  const modal = openModal({
    title: 'Roll API key', description: `“${key.name}” · ${key.maskedKey}: a new secret, same limits, usage and rules.`,
    body: form, size: 'sm', returnFocus: ctx.returnFocus,
  });
  const cancel = h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Cancel');
  const submit = h('button', { type: 'submit', form: formId, class: 'btn btn--primary' }, icon('key'), h('span', {}, 'Roll key'));
  modal.footer.append(cancel, submit);
  radios[2].input.focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const pick = chosen();
    const input = { id: key.id };
    if (pick === 'custom') input.gracePeriod = { value: Number.parseInt(customValue.value, 10), unit: customUnit.value };
    else if (pick !== 'none') input.gracePeriod = GRACES.find(([v]) => v === pick)[2];
    try {
      const payload = await busy(submit, () => mutate('RollApiKey', input));
      if (payload.errors?.length) { showErrors(form, payload.errors); return; }
      showSecret(modal, modal.footer, payload.secret, payload.apiKey);
      ctx.reload();
    } catch (error) {
      if (error instanceof AuthError) { ctx.onAuthError(error); return; }
      showErrors(form, [{ field: null, message: error instanceof ApiError ? error.message : 'Something went wrong. Try again.' }]);
    }
  });
  return modal;
}

