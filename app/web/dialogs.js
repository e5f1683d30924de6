// The dialogs of the page: create (and the one-time secret), limits, IAM rules, usage,
// rename, delete, reactivate with a new TTL, and new project. Each mutation's
// `errors { code field message }` is shown next to the field it names.
import { ApiError, AuthError, mutate, run } from './api.js';
import { spendChart } from './chart.js';
import {
  busy, clear, clearErrors, field, formError, h, icon, nextId, openModal, showErrors, toast,
} from './dom.js';
import {
  compareMoney, money, plural, RULE_TYPES, ruleSubject, timeEl, TTL_BOUNDS, WINDOW_BOUNDS,
} from './format.js';

// ---------------------------------------------------------------- shared pieces

const TTL_UNITS = [['MINUTE', 'Minutes'], ['HOUR', 'Hours'], ['DAY', 'Days']];
const WINDOW_UNITS = [['HOUR', 'Hours'], ['DAY', 'Days'], ['WEEK', 'Weeks'], ['MONTH', 'Months']];
const UNIT_WORD = { HOUR: 'hours', DAY: 'days', WEEK: 'weeks', MONTH: 'months' };

function select(options, value, props = {}) {
  return h('select', { class: 'select', ...props }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function numberInput(value, props = {}) {
  return h('input', { type: 'number', class: 'input input--number', inputmode: 'numeric', min: '1', step: '1', required: true, value: value ?? '', ...props });
}

function moneyInput(value, props = {}) {
  const input = h('input', {
    type: 'text', class: 'input input--money', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
    placeholder: '0.00', required: true, value: value ?? '', ...props,
  });
  const render = h('div', { class: 'input-affix' }, h('span', { class: 'input-affix__prefix', 'aria-hidden': 'true' }, '$'), input);
  return { input, render };
}

/** "$1,250.50 " → "1250.50": the exact string the user typed, minus decoration. */
export function cleanMoney(text) {
  return String(text).trim().replace(/^\$\s*/, '').replace(/,/g, '').trim();
}

function switchControl(label, checked, description) {
  const input = h('input', { type: 'checkbox', role: 'switch', class: 'switch__input', checked });
  const descId = description ? nextId('sw') : null;
  if (descId) input.setAttribute('aria-describedby', descId);
  const el = h('div', { class: 'switch-row' },
    h('label', { class: 'switch' }, input, h('span', { class: 'switch__track', 'aria-hidden': 'true' }, h('span', { class: 'switch__thumb' })),
      h('span', { class: 'switch__label' }, label)),
    description ? h('p', { id: descId, class: 'switch-row__description' }, description) : null);
  return { el, input };
}

/** Show `panel` only while `toggle` is on; its controls are disabled (and skip validation) while off. */
function reveal(toggle, panel) {
  const sync = () => {
    panel.hidden = !toggle.checked;
    panel.querySelectorAll('input, select, textarea, button').forEach((c) => { c.disabled = !toggle.checked; });
  };
  toggle.addEventListener('change', () => { sync(); if (toggle.checked) panel.querySelector('input, select')?.focus(); });
  sync();
  return sync;
}

/** A group of controls sharing one label, hint and error slot (data-field = path). */
function compositeField({ label, labelFor, controls, hint, path, className }) {
  const hintEl = hint ? h('p', { id: nextId('hint'), class: 'field__hint' }, hint) : null;
  const errorEl = h('p', { id: nextId('err'), class: 'field__error', role: 'alert', hidden: true });
  const ids = [hintEl?.id, errorEl.id].filter(Boolean).join(' ');
  for (const control of controls.flat()) {
    for (const c of control.matches?.('input, select') ? [control] : control.querySelectorAll?.('input, select') || []) c.setAttribute('aria-describedby', ids);
  }
  return {
    el: h('div', { class: ['field', className], dataset: path ? { field: path } : undefined },
      label ? h('label', { class: 'field__label', for: labelFor.id || (labelFor.id = nextId('f')) }, label) : null,
      h('div', { class: 'input-row' }, controls), hintEl, errorEl),
    hintEl,
  };
}

/** TTL value + unit (minutes/hours/days → MINUTE/HOUR/DAY). */
function ttlInputs({ path = 'ttl', value = 30, unit = 'DAY', label = 'Expires after' } = {}) {
  const valueInput = numberInput(value, { 'data-error-control': true });
  const unitSelect = select(TTL_UNITS, unit, { 'aria-label': 'Expiration unit' });
  const sync = () => { valueInput.max = String(TTL_BOUNDS[unitSelect.value][1]); };
  unitSelect.addEventListener('change', sync);
  sync();
  const { el } = compositeField({
    label, labelFor: valueInput, controls: [valueInput, unitSelect], path,
    hint: 'The key disables itself once this time has passed.',
  });
  return { el, valueInput, read: () => ({ value: Number.parseInt(valueInput.value, 10), unit: unitSelect.value }) };
}

/** All-time and recurring limit controls, pre-filled from `limits`. */
function limitInputs(limits = {}, paths = { allTime: 'allTimeLimit', recurring: 'recurringLimit' }) {
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
        ? { amount: cleanMoney(amount.input.value), window: { value: Number.parseInt(windowValue.value, 10), unit: windowUnit.value } }
        : null,
    }),
  };
}

function footerButtons(modal, formId, submitLabel, { danger = false, submitIcon } = {}) {
  const cancel = h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Cancel');
  const submit = h('button', { type: 'submit', form: formId, class: ['btn', danger ? 'btn--danger' : 'btn--primary'] },
    submitIcon ? icon(submitIcon) : null, h('span', {}, submitLabel));
  return { cancel, submit };
}

function reportFailure(form, error, ctx) {
  if (error instanceof AuthError) { ctx.onAuthError(error); return; }
  showErrors(form, [{ field: null, message: error instanceof ApiError ? error.message : 'Something went wrong. Try again.' }]);
}

/** Run a mutation from a form: field errors go next to fields; resolves with the payload on success, else null. */
async function submitMutation(form, button, ctx, name, input, aliases, labels) {
  clearErrors(form);
  try {
    const payload = await busy(button, () => mutate(name, input));
    if (payload.errors?.length) {
      showErrors(form, payload.errors, aliases, labels);
      if (payload.errors.some((e) => e.code === 'NOT_FOUND')) ctx.reload?.(); // deleted elsewhere
      return null;
    }
    return payload;
  } catch (error) {
    reportFailure(form, error, ctx);
    return null;
  }
}

// ---------------------------------------------------------------- IAM rules editor

let catalogPromise = null;
export function loadCatalog() {
  if (!catalogPromise) {
    catalogPromise = run('Catalog').catch((error) => { catalogPromise = null; throw error; });
  }
  return catalogPromise;
}

function catalogOptions(catalog, subject) {
  if (subject === 'PRICING') {
    return [
      { value: 'FREE', label: 'Free', meta: 'Input and output prices are 0' },
      { value: 'PAID', label: 'Paid', meta: 'Every other offer' },
    ];
  }
  if (subject === 'PROVIDERS') {
    const counts = new Map();
    for (const model of catalog.models) for (const offer of model.offers) counts.set(offer.provider, (counts.get(offer.provider) || 0) + 1);
    return catalog.providers.map((p) => ({ value: p, label: p, meta: plural(counts.get(p) || 0, 'model') }));
  }
  const prefixes = [...new Set(catalog.models.map((m) => m.id.split('/')[0]))].sort();
  return [
    ...prefixes.map((p) => ({ value: `${p}/*`, label: `${p}/*`, meta: `Every ${p} model`, pattern: true })),
    ...catalog.models.map((m) => ({
      value: m.id, label: m.id,
      meta: [...new Set(m.offers.map((o) => o.provider))].join(', ')
        + (m.offers.some((o) => o.pricing === 'FREE') ? ' · free offer' : ''),
    })),
  ];
}

/**
 * Rule cards, each a type and a picker of values fed by the catalog. `prefix` is the input's
 * field name ("rules" for SetApiKeyIamRules, "iamRules" for CreateApiKey) so that server
 * errors such as "rules[0].values[1]" land on the right rule and value.
 */
function rulesEditor({ rules = [], catalog, prefix }) {
  const state = rules.map((r) => ({ type: r.type, values: [...r.values] }));
  const list = h('div', { class: 'rules' });
  const empty = h('p', { class: 'rules__empty' }, icon('shield'), h('span', {}, 'No rules: this key may use every model and provider.'));
  const addButton = h('button', { type: 'button', class: 'btn btn--secondary btn--sm', onclick: () => add() }, icon('plus'), h('span', {}, 'Add rule'));
  const el = h('div', { class: 'rules-editor', dataset: { field: prefix } },
    list, empty, h('p', { class: 'field__error', role: 'alert', hidden: true }), h('div', {}, addButton));

  function add() {
    const used = new Set(state.map((r) => r.type));
    const type = (RULE_TYPES.find(([t]) => !used.has(t)) || RULE_TYPES[0])[0];
    state.push({ type, values: [] });
    render();
    list.lastElementChild?.querySelector('select')?.focus();
  }

  function render() {
    clear(list);
    state.forEach((rule, index) => list.append(ruleCard(rule, index)));
    empty.hidden = state.length > 0;
  }

  function ruleCard(rule, index) {
    const path = `${prefix}[${index}]`;
    const subject = ruleSubject(rule.type);
    const options = catalogOptions(catalog, subject);
    const typeSelect = select(RULE_TYPES, rule.type, { 'aria-label': `Rule ${index + 1} type` });
    typeSelect.addEventListener('change', () => {
      const before = ruleSubject(rule.type);
      rule.type = typeSelect.value;
      if (ruleSubject(rule.type) !== before) rule.values = [];
      render();
      list.children[index]?.querySelector('select')?.focus();
    });
    const removeButton = h('button', {
      type: 'button', class: 'btn btn--ghost btn--sm btn--danger-text', 'aria-label': `Remove rule ${index + 1}`,
      onclick: () => { state.splice(index, 1); render(); (list.children[Math.min(index, state.length - 1)]?.querySelector('select') || addButton).focus(); },
    }, icon('trash'), h('span', {}, 'Remove'));

    const chips = h('ul', { class: 'chips', 'aria-label': `Selected values of rule ${index + 1}` });
    const renderChips = () => {
      clear(chips);
      if (!rule.values.length) chips.append(h('li', { class: 'chips__empty' }, 'Nothing selected yet'));
      rule.values.forEach((value, j) => chips.append(h('li', { class: 'chip', dataset: { field: `${path}.values[${j}]` } },
        h('span', { class: 'chip__text' }, value),
        h('button', {
          type: 'button', class: 'chip__remove', 'aria-label': `Remove ${value}`,
          onclick: () => {
            rule.values = rule.values.filter((v) => v !== value);
            const box = picker.querySelector(`input[value="${CSS.escape(value)}"]`);
            if (box) box.checked = false;
            renderChips();
            filter.focus();
          },
        }, icon('close')))));
    };

    const pickerLabel = subject === 'MODELS' ? 'Models' : subject === 'PROVIDERS' ? 'Providers' : 'Pricing';
    const picker = h('fieldset', { class: ['picker', subject === 'PRICING' && 'picker--short'] },
      h('legend', { class: 'sr-only' }, `${pickerLabel} for rule ${index + 1}`),
      options.map((option) => {
        const box = h('input', { type: 'checkbox', value: option.value, checked: rule.values.includes(option.value) });
        box.addEventListener('change', () => {
          if (box.checked && !rule.values.includes(option.value)) rule.values.push(option.value);
          if (!box.checked) rule.values = rule.values.filter((v) => v !== option.value);
          renderChips();
        });
        return h('label', { class: ['picker__option', option.pattern && 'picker__option--pattern'], dataset: { search: `${option.value} ${option.meta}`.toLowerCase() } },
          box, h('span', { class: 'picker__value' }, option.label), h('span', { class: 'picker__meta' }, option.meta));
      }),
      h('p', { class: 'picker__none', hidden: true }, 'No match.'));

    const filter = h('input', {
      type: 'search', class: 'input input--sm', placeholder: `Filter ${pickerLabel.toLowerCase()}…`, 'aria-label': `Filter ${pickerLabel.toLowerCase()} of rule ${index + 1}`,
      'data-error-control': true,
    });
    filter.addEventListener('input', () => {
      const needle = filter.value.trim().toLowerCase();
      let shown = 0;
      picker.querySelectorAll('.picker__option').forEach((option) => {
        option.hidden = Boolean(needle) && !option.dataset.search.includes(needle);
        if (!option.hidden) shown += 1;
      });
      picker.querySelector('.picker__none').hidden = shown > 0;
    });
    filter.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault(); // Enter adds a typed pattern (models) instead of submitting the form
      if (subject === 'MODELS' && filter.value.trim()) addPattern(filter.value.trim());
    });
    const addPattern = (value) => {
      if (!rule.values.includes(value)) rule.values.push(value);
      const box = picker.querySelector(`input[value="${CSS.escape(value)}"]`);
      if (box) box.checked = true;
      filter.value = '';
      filter.dispatchEvent(new Event('input'));
      renderChips();
    };
    const patternButton = subject === 'MODELS'
      ? h('button', {
        type: 'button', class: 'btn btn--secondary btn--sm',
        onclick: () => { if (filter.value.trim()) addPattern(filter.value.trim()); filter.focus(); },
      }, 'Add as pattern')
      : null;
    renderChips();
    return h('div', { class: 'rule', dataset: { field: path } },
      h('div', { class: 'rule__head' },
        h('span', { class: ['rule__badge', rule.type.startsWith('DENY') ? 'rule__badge--deny' : 'rule__badge--allow'] }, rule.type.startsWith('DENY') ? 'Deny' : 'Allow'),
        typeSelect, removeButton),
      chips,
      subject === 'PRICING' ? null : h('div', { class: 'rule__filter' }, filter, patternButton),
      subject === 'MODELS' ? h('p', { class: 'field__hint' }, 'Tick models, or type an id or a prefix ending in * (openai/gpt-4*) and press Enter.') : null,
      picker,
      h('p', { class: 'field__error', role: 'alert', hidden: true }));
  }

  render();
  return {
    el,
    read: () => state.map((r) => ({ type: r.type, values: [...r.values] })),
    get count() { return state.length; },
  };
}

// ---------------------------------------------------------------- create key

export function createKeyDialog(ctx) {
  const formId = nextId('create');
  const name = h('input', { type: 'text', class: 'input', required: true, maxlength: '64', autocomplete: 'off', autofocus: true, placeholder: 'production' });
  const ttlSwitch = switchControl('Set expiration (TTL)', false, 'Give the key a limited lifetime: it disables itself once the time passes.');
  const ttl = ttlInputs({ value: 30, unit: 'DAY' });
  const ttlPanel = h('div', { class: 'reveal' }, ttl.el);
  const limits = limitInputs({});
  const rulesSwitch = switchControl('Restrict with IAM rules', false, 'Limit which models, providers or pricing tiers the key can use.');
  const rulesPanel = h('div', { class: 'reveal' }, h('p', { class: 'muted' }, 'Loading the model catalog…'));
  let editor = null;
  rulesSwitch.input.addEventListener('change', async () => {
    if (!rulesSwitch.input.checked || editor) return;
    try {
      const catalog = await loadCatalog();
      editor = rulesEditor({ rules: [{ type: 'ALLOW_PROVIDERS', values: [] }], catalog, prefix: 'iamRules' });
      clear(rulesPanel).append(editor.el);
    } catch (error) {
      clear(rulesPanel).append(h('p', { class: 'form-error' }, error.message || 'The catalog could not be loaded.'));
    }
  });

  const form = h('form', { id: formId, class: 'form', novalidate: false },
    field({ label: 'Name', control: name, path: 'name', hint: 'A label such as production, staging or ci.' }),
    h('section', { class: 'form-section', 'aria-labelledby': `${formId}-exp` },
      h('h3', { id: `${formId}-exp`, class: 'form-section__title' }, 'Expiration'),
      h('div', { class: 'option-card' }, ttlSwitch.el, ttlPanel)),
    h('section', { class: 'form-section', 'aria-labelledby': `${formId}-lim` },
      h('h3', { id: `${formId}-lim`, class: 'form-section__title' }, 'Usage limits'),
      limits.el),
    h('section', { class: 'form-section', 'aria-labelledby': `${formId}-iam` },
      h('h3', { id: `${formId}-iam`, class: 'form-section__title' }, 'Access'),
      h('div', { class: 'option-card' }, rulesSwitch.el, rulesPanel)),
    formError());
  reveal(ttlSwitch.input, ttlPanel);
  reveal(rulesSwitch.input, rulesPanel);

  const modal = openModal({
    title: 'Create API key', description: 'The full key is shown once, right after it is created.',
    body: form, size: 'md', returnFocus: ctx.returnFocus,
  });
  const { cancel, submit } = footerButtons(modal, formId, 'Create API key', { submitIcon: 'key' });
  modal.footer.append(cancel, submit);
  const { footer } = modal;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = { projectId: ctx.projectId, name: name.value };
    if (ttlSwitch.input.checked) input.ttl = ttl.read();
    const { allTime, recurring } = limits.read();
    if (allTime !== null) input.allTimeLimit = allTime;
    if (recurring !== null) input.recurringLimit = recurring;
    if (rulesSwitch.input.checked && editor && editor.count) input.iamRules = editor.read();
    const payload = await submitMutation(form, submit, ctx, 'CreateApiKey', input);
    if (!payload) {
      if (modal.dialog.querySelector('.form-error:not([hidden])')) ctx.reload();
      return;
    }
    showSecret(modal, footer, payload.secret, payload.apiKey);
    ctx.reload();
  });
  return modal;
}

export function showSecret(modal, footer, secret, key) {
  modal.setTitle('Save your API key');
  if (modal.descEl) modal.descEl.textContent = `“${key.name}” is ready to use.`;
  const warningId = nextId('warn');
  const secretInput = h('textarea', {
    class: 'input input--mono secret__value', readOnly: true, spellcheck: 'false', autocomplete: 'off', rows: '1', wrap: 'soft',
    'aria-describedby': warningId, 'aria-label': 'Your new API key', dataset: { secret: '' },
  });
  secretInput.value = secret;
  secretInput.addEventListener('focus', () => secretInput.select());
  const copyLabel = h('span', {}, 'Copy');
  const copyButton = h('button', { type: 'button', class: 'btn btn--primary secret__copy' }, icon('copy'), copyLabel);
  copyButton.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secretInput.value);
    } catch {
      secretInput.select();
      document.execCommand('copy');
    }
    copyLabel.textContent = 'Copied';
    copyButton.replaceChild(icon('check'), copyButton.firstChild);
    toast('API key copied to the clipboard.', 'success');
  });
  clear(modal.body).append(h('div', { class: 'secret' },
    h('div', { id: warningId, class: 'callout callout--warning', role: 'note' },
      icon('warning'),
      h('div', {},
        h('strong', {}, 'Copy this key now — you will not see it again.'),
        h('p', {}, 'keyplane stores only a hash of it. If you lose it, delete the key and create a new one.'))),
    h('label', { class: 'field__label', for: secretInput.id || (secretInput.id = nextId('secret')) }, 'API key'),
    h('div', { class: 'secret__row' }, secretInput, copyButton),
    h('dl', { class: 'secret__facts' },
      h('div', {}, h('dt', {}, 'Name'), h('dd', {}, key.name)),
      h('div', {}, h('dt', {}, 'Shown in the list as'), h('dd', { class: 'mono' }, key.maskedKey)),
      h('div', {}, h('dt', {}, 'Expires'), h('dd', {}, key.expiresAt ? timeEl(key.expiresAt) : 'Never')))));
  const done = h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'I have saved it — close');
  clear(footer).append(done);
  copyButton.focus();
  guardSecret(modal, footer, done, copyButton);
}

/**
 * Escape or × on the one-time secret asks first: closing loses the key for good. Escape on
 * the question goes back to the key.
 */
function guardSecret(modal, footer, done, copyButton) {
  let asking = false;
  const back = () => {
    asking = false;
    clear(footer).append(done);
    copyButton.focus();
  };
  const keep = h('button', { type: 'button', class: 'btn btn--secondary', onclick: back }, 'Keep it open');
  const leave = h('button', { type: 'button', class: 'btn btn--danger', onclick: () => modal.close() }, 'Close without saving');
  const question = h('p', { class: 'modal__question', role: 'alert' },
    'Close without saving the key? It cannot be shown again.');
  modal.guardClose(() => {
    if (asking) { back(); return; }
    asking = true;
    clear(footer).append(question, keep, leave);
    keep.focus();
  });
}

// ---------------------------------------------------------------- limits

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

// ---------------------------------------------------------------- IAM rules

export async function iamDialog(key, ctx) {
  const formId = nextId('iam');
  const form = h('form', { id: formId, class: 'form' }, h('p', { class: 'muted' }, 'Loading the model catalog…'));
  const modal = openModal({
    title: 'IAM rules', description: `Which models, providers and pricing tiers “${key.name}” may use.`,
    body: form, size: 'lg', returnFocus: ctx.returnFocus,
  });
  const { cancel, submit } = footerButtons(modal, formId, 'Save rules', { submitIcon: 'shield' });
  submit.disabled = true;
  modal.footer.append(cancel, submit);
  let catalog;
  try {
    catalog = await loadCatalog();
  } catch (error) {
    if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
    clear(form).append(h('p', { class: 'form-error' }, error.message));
    return;
  }
  const editor = rulesEditor({ rules: key.iamRules, catalog, prefix: 'rules' });
  clear(form).append(
    h('div', { class: 'callout callout--info' }, icon('shield'), h('div', {},
      h('p', {}, 'A request is allowed when it matches at least one value of every Allow type the key has, and no Deny value: deny wins.'))),
    editor.el, formError());
  submit.disabled = false;
  (form.querySelector('select') || form.querySelector('button'))?.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const payload = await submitMutation(form, submit, ctx, 'SetApiKeyIamRules', { id: key.id, rules: editor.read() });
    if (!payload) return;
    await ctx.reload();
    modal.close();
    const count = payload.apiKey.iamRules.length;
    toast(count ? `${plural(count, 'IAM rule')} saved for “${payload.apiKey.name}”.` : `IAM rules removed from “${payload.apiKey.name}”.`, 'success');
  });
}

// ---------------------------------------------------------------- usage details

export async function usageDialog(key, ctx) {
  const content = h('div', { class: 'usage', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading usage…'));
  const modal = openModal({
    title: `Usage · ${key.name}`, description: 'Spend per day over the last 30 days and the most recent requests.',
    body: content, size: 'lg', returnFocus: ctx.returnFocus,
  });
  modal.footer.append(h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Close'));
  const records = [];
  let pageInfo = null;
  const tbody = h('tbody');
  const moreButton = h('button', { type: 'button', class: 'btn btn--secondary btn--sm' }, 'Load more requests');

  async function load(after = null) {
    const data = await run('ApiKeyUsage', { id: key.id, first: 25, after });
    if (!data.apiKey) throw new ApiError('This key no longer exists.');
    return data.apiKey;
  }

  function renderRecords() {
    clear(tbody);
    if (!records.length) tbody.append(h('tr', {}, h('td', { colspan: '6', class: 'empty-cell' }, 'No requests recorded yet.')));
    for (const record of records) {
      tbody.append(h('tr', {},
        h('td', { 'data-label': 'Time' }, timeEl(record.occurredAt)),
        h('td', { 'data-label': 'Request', class: 'mono' }, record.requestId),
        h('td', { 'data-label': 'Model' }, record.model || '—'),
        h('td', { 'data-label': 'Provider' }, record.provider || '—'),
        h('td', { 'data-label': 'Source' }, record.source === 'PROVIDER_KEY' ? 'Provider key' : 'Credits'),
        h('td', { 'data-label': 'Cost', class: 'num' }, money(record.cost))));
    }
    moreButton.hidden = !pageInfo?.hasNextPage;
  }

  moreButton.addEventListener('click', async () => {
    try {
      const next = await busy(moreButton, () => load(pageInfo.endCursor));
      records.push(...next.usageRecords.edges.map((e) => e.node));
      pageInfo = next.usageRecords.pageInfo;
      renderRecords();
    } catch (error) {
      toast(error.message, 'error');
    }
  });

  let usage;
  try {
    usage = await load();
  } catch (error) {
    if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
    clear(content).append(h('p', { class: 'form-error' }, error.message));
    content.removeAttribute('aria-busy');
    return;
  }
  records.push(...usage.usageRecords.edges.map((e) => e.node));
  pageInfo = usage.usageRecords.pageInfo;
  const summary = usage.usageSummary;
  const period = usage.currentPeriod;
  const sourceTotal = (source) => summary.bySource.find((s) => s.source === source) || { amount: '0', requests: 0 };
  const credits = sourceTotal('CREDITS');
  const providerKeys = sourceTotal('PROVIDER_KEY');
  renderRecords();
  // the chart is drawn for the screen's width class: redraw it when that changes
  let figure = spendChart(summary.byDay);
  const narrow = window.matchMedia('(max-width: 640px)');
  const redraw = () => { const fresh = spendChart(summary.byDay); figure.replaceWith(fresh); figure = fresh; };
  narrow.addEventListener('change', redraw);
  modal.dialog.addEventListener('close', () => narrow.removeEventListener('change', redraw));
  clear(content).append(
    h('div', { class: 'stats' },
      stat('All-time usage', money(usage.usage), usage.lastUsedAt ? ['Last used ', timeEl(usage.lastUsedAt)] : 'Never used'),
      stat('Current period', period ? `${money(period.usage)} of ${money(period.limit)}` : '—',
        period ? ['Resets ', timeEl(period.resetsAt)] : 'No recurring limit'),
      stat('Last 30 days', money(summary.total), plural(summary.requests, 'request')),
      stat('By source', `${money(credits.amount)} credits`, `${money(providerKeys.amount)} via provider keys`)),
    h('section', { class: 'usage__section', 'aria-labelledby': 'usage-chart-title' },
      h('h3', { id: 'usage-chart-title', class: 'form-section__title' }, 'Spend per day (UTC)'),
      figure),
    h('section', { class: 'usage__section', 'aria-labelledby': 'usage-requests-title' },
      h('h3', { id: 'usage-requests-title', class: 'form-section__title' }, 'Recent requests'),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data-table data-table--compact data-table--stack' },
        h('thead', {}, h('tr', {}, ['Time', 'Request', 'Model', 'Provider', 'Source', 'Cost'].map((label) =>
          h('th', { scope: 'col', class: label === 'Cost' ? 'num' : null }, label)))),
        tbody)),
      moreButton));
  content.removeAttribute('aria-busy');
}

function stat(label, value, detail) {
  return h('div', { class: 'stat' },
    h('p', { class: 'stat__label' }, label),
    h('p', { class: 'stat__value' }, value),
    h('p', { class: 'stat__detail' }, detail));
}

// ---------------------------------------------------------------- rename, delete

export function renameDialog(key, ctx) {
  const formId = nextId('rename');
  const name = h('input', { type: 'text', class: 'input', required: true, maxlength: '64', autocomplete: 'off', value: key.name, autofocus: true });
  const form = h('form', { id: formId, class: 'form' }, field({ label: 'Name', control: name, path: 'name' }), formError());
  const modal = openModal({ title: 'Rename API key', description: `${key.maskedKey}`, body: form, size: 'sm', returnFocus: ctx.returnFocus });
  const { cancel, submit } = footerButtons(modal, formId, 'Rename');
  modal.footer.append(cancel, submit);
  name.select();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const payload = await submitMutation(form, submit, ctx, 'RenameApiKey', { id: key.id, name: name.value });
    if (!payload) return;
    await ctx.reload();
    modal.close();
    toast(`Renamed to “${payload.apiKey.name}”.`, 'success');
  });
}

export function deleteDialog(key, ctx) {
  const formId = nextId('delete');
  const form = h('form', { id: formId, class: 'form' },
    h('div', { class: 'callout callout--danger' }, icon('warning'), h('div', {},
      h('strong', {}, 'This cannot be undone.'),
      h('p', {}, 'Requests that use this key are rejected from now on, and its usage history is removed.'))),
    h('dl', { class: 'secret__facts' },
      h('div', {}, h('dt', {}, 'Name'), h('dd', {}, key.name)),
      h('div', {}, h('dt', {}, 'Key'), h('dd', { class: 'mono' }, key.maskedKey)),
      h('div', {}, h('dt', {}, 'All-time usage'), h('dd', {}, money(key.usage)))),
    formError());
  const modal = openModal({ title: 'Delete API key?', description: `“${key.name}” will be permanently deleted.`, body: form, size: 'sm', returnFocus: ctx.returnFocus });
  const { cancel, submit } = footerButtons(modal, formId, 'Delete key', { danger: true, submitIcon: 'trash' });
  modal.footer.append(cancel, submit);
  cancel.focus(); // the safe choice has focus
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const payload = await submitMutation(form, submit, ctx, 'DeleteApiKey', { id: key.id });
    if (!payload) return;
    await ctx.reload();
    modal.close();
    toast(`“${key.name}” deleted.`, 'success');
  });
}

// ---------------------------------------------------------------- enable / disable

/** Enable or disable; an EXPIRED key (or a TTL_REQUIRED answer) asks for a new TTL first. */
export async function toggleEnabled(key, ctx) {
  if (key.status === 'EXPIRED') { reactivateDialog(key, ctx); return; }
  const enabled = key.status !== 'ACTIVE';
  try {
    const payload = await mutate('SetApiKeyEnabled', { id: key.id, enabled });
    if (payload.errors?.some((e) => e.code === 'TTL_REQUIRED')) { reactivateDialog(key, ctx); return; }
    if (payload.errors?.length) { toast(payload.errors.map((e) => e.message).join(' '), 'error'); await ctx.reload(); return; }
    await ctx.reload();
    toast(enabled ? `“${key.name}” enabled.` : `“${key.name}” disabled: requests with it are rejected until you enable it.`, 'success');
  } catch (error) {
    if (error instanceof AuthError) ctx.onAuthError(error); else toast(error.message, 'error');
  }
  ctx.returnFocus?.()?.focus?.();
}

export function reactivateDialog(key, ctx) {
  const formId = nextId('enable');
  const ttl = ttlInputs({ value: 30, unit: 'DAY', label: 'New expiration: expires after' });
  const form = h('form', { id: formId, class: 'form' },
    h('div', { class: 'callout callout--warning' }, icon('clock'), h('div', {},
      h('strong', {}, key.expiresAt ? ['This key expired ', timeEl(key.expiresAt), '.'] : 'This key has expired.'),
      h('p', {}, 'Pick a new expiration to bring it back online.'))),
    ttl.el, formError());
  const modal = openModal({ title: 'Reactivate API key', description: `“${key.name}” · ${key.maskedKey}`, body: form, size: 'sm', returnFocus: ctx.returnFocus });
  const { cancel, submit } = footerButtons(modal, formId, 'Reactivate', { submitIcon: 'play' });
  modal.footer.append(cancel, submit);
  ttl.valueInput.focus();
  ttl.valueInput.select();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const payload = await submitMutation(form, submit, ctx, 'SetApiKeyEnabled', { id: key.id, enabled: true, ttl: ttl.read() });
    if (!payload) return;
    await ctx.reload();
    modal.close();
    toast(`“${payload.apiKey.name}” is active again.`, 'success');
  });
}

// ---------------------------------------------------------------- projects

export function projectDialog(ctx) {
  const formId = nextId('project');
  const name = h('input', { type: 'text', class: 'input', required: true, maxlength: '64', autocomplete: 'off', autofocus: true, placeholder: 'Mobile app' });
  const form = h('form', { id: formId, class: 'form' }, field({ label: 'Project name', control: name, path: 'name' }), formError());
  const modal = openModal({ title: 'New project', description: 'Keys belong to a project; each project has its own key allowance.', body: form, size: 'sm', returnFocus: ctx.returnFocus });
  const { cancel, submit } = footerButtons(modal, formId, 'Create project', { submitIcon: 'plus' });
  modal.footer.append(cancel, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const payload = await submitMutation(form, submit, ctx, 'CreateProject', { name: name.value }, {}, { name: 'Project name' });
    if (!payload) return;
    modal.close();
    await ctx.onProjectCreated(payload.project);
    toast(`Project “${payload.project.name}” created.`, 'success');
  });
}

