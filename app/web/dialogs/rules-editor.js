// The IAM rules editor of the create and IAM dialogs: rule cards, each a type and a picker of
// values (models, providers, pricing tiers) fed by the model catalog.
import { run } from '../api.js';
import { clear, h, icon } from '../dom.js';
import { plural, RULE_TYPES, ruleSubject } from '../format.js';
import { select } from './controls.js';

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
export function rulesEditor({ rules = [], catalog, prefix }) {
  const state = rules.map((r) => ({ type: r.type, values: [...r.values] }));
  const list = h('div', { class: 'rules' });
  const empty = h('p', { class: 'rules__empty' }, icon('shield'), h('span', {}, 'No rules: this key may use every model and provider.'));
  const addButton = h('button', { type: 'button', class: 'btn btn--secondary btn--sm', onclick: () => add() }, icon('plus'), h('span', {}, 'Add rule'));
  const el = h('div', { class: 'rules-editor', dataset: { field: prefix } },
    list, empty, h('p', { class: 'field__error', role: 'alert', hidden: true }), h('div', {}, addButton));
  const editor = { state, list, addButton, catalog, prefix, render };

  function add() {
    const used = new Set(state.map((r) => r.type));
    const type = (RULE_TYPES.find(([t]) => !used.has(t)) || RULE_TYPES[0])[0];
    state.push({ type, values: [] });
    render();
    list.lastElementChild?.querySelector('select')?.focus();
  }

  function render() {
    clear(list);
    state.forEach((rule, index) => list.append(ruleCard(editor, rule, index)));
    empty.hidden = state.length > 0;
  }

  render();
  return {
    el,
    read: () => state.map((r) => ({ type: r.type, values: [...r.values] })),
    get count() { return state.length; },
  };
}

/** One rule: its Allow/Deny badge, type, remove button, chosen values, filter and picker. */
function ruleCard(editor, rule, index) {
  const path = `${editor.prefix}[${index}]`;
  const subject = ruleSubject(rule.type);
  const pickerLabel = pickerLabelOf(subject);
  const chips = valueChips(rule, {
    path, index,
    onRemove: (value) => { picker.check(value, false); chips.render(); filter.focus(); },
  });
  const picker = valuePicker(rule, catalogOptions(editor.catalog, subject), {
    subject, legend: `${pickerLabel} for rule ${index + 1}`, onChange: () => chips.render(),
  });
  const addPattern = () => {
    const value = filter.value.trim();
    if (!value) return;
    if (!rule.values.includes(value)) rule.values.push(value);
    picker.check(value, true);
    filter.value = '';
    filter.dispatchEvent(new Event('input'));
    chips.render();
  };
  // Enter adds a typed pattern (models) instead of submitting the form
  const filter = filterInput({ label: pickerLabel, index, picker, onEnter: () => { if (subject === 'MODELS') addPattern(); } });
  const patternButton = subject === 'MODELS'
    ? h('button', {
      type: 'button', class: 'btn btn--secondary btn--sm',
      onclick: () => { addPattern(); filter.focus(); },
    }, 'Add as pattern')
    : null;
  chips.render();
  const deny = rule.type.startsWith('DENY');
  return h('div', { class: 'rule', dataset: { field: path } },
    h('div', { class: 'rule__head' },
      h('span', { class: ['rule__badge', deny ? 'rule__badge--deny' : 'rule__badge--allow'] }, deny ? 'Deny' : 'Allow'),
      ruleTypeSelect(editor, rule, index), removeRuleButton(editor, index)),
    chips.el,
    subject === 'PRICING' ? null : h('div', { class: 'rule__filter' }, filter, patternButton),
    subject === 'MODELS' ? h('p', { class: 'field__hint' }, 'Tick models, or type an id or a prefix ending in * (openai/gpt-4*) and press Enter.') : null,
    picker.el,
    h('p', { class: 'field__error', role: 'alert', hidden: true }));
}

function pickerLabelOf(subject) {
  return subject === 'MODELS' ? 'Models' : subject === 'PROVIDERS' ? 'Providers' : 'Pricing';
}

/** The rule's type; a type of another subject (models → providers) drops the chosen values. */
function ruleTypeSelect(editor, rule, index) {
  const typeSelect = select(RULE_TYPES, rule.type, { 'aria-label': `Rule ${index + 1} type` });
  typeSelect.addEventListener('change', () => {
    const before = ruleSubject(rule.type);
    rule.type = typeSelect.value;
    if (ruleSubject(rule.type) !== before) rule.values = [];
    editor.render();
    editor.list.children[index]?.querySelector('select')?.focus();
  });
  return typeSelect;
}

/** Remove the rule; focus goes to the next rule's type (or the last one's, or "Add rule"). */
function removeRuleButton(editor, index) {
  return h('button', {
    type: 'button', class: 'btn btn--ghost btn--sm btn--danger-text', 'aria-label': `Remove rule ${index + 1}`,
    onclick: () => {
      editor.state.splice(index, 1);
      editor.render();
      (editor.list.children[Math.min(index, editor.state.length - 1)]?.querySelector('select') || editor.addButton).focus();
    },
  }, icon('trash'), h('span', {}, 'Remove'));
}

/** The chosen values as chips, each with a remove button (data-field = the value's error path). */
function valueChips(rule, { path, index, onRemove }) {
  const el = h('ul', { class: 'chips', 'aria-label': `Selected values of rule ${index + 1}` });
  const render = () => {
    clear(el);
    if (!rule.values.length) el.append(h('li', { class: 'chips__empty' }, 'Nothing selected yet'));
    rule.values.forEach((value, j) => el.append(h('li', { class: 'chip', dataset: { field: `${path}.values[${j}]` } },
      h('span', { class: 'chip__text' }, value),
      h('button', {
        type: 'button', class: 'chip__remove', 'aria-label': `Remove ${value}`,
        onclick: () => {
          rule.values = rule.values.filter((v) => v !== value);
          onRemove(value);
        },
      }, icon('close')))));
  };
  return { el, render };
}

/** A checkbox per catalog option; `filter(needle)` hides the options that do not match. */
function valuePicker(rule, options, { subject, legend, onChange }) {
  const el = h('fieldset', { class: ['picker', subject === 'PRICING' && 'picker--short'] },
    h('legend', { class: 'sr-only' }, legend),
    options.map((option) => pickerOption(rule, option, onChange)),
    h('p', { class: 'picker__none', hidden: true }, 'No match.'));
  return {
    el,
    check(value, checked) {
      const box = /** @type {HTMLInputElement | null} */ (el.querySelector(`input[value="${CSS.escape(value)}"]`));
      if (box) box.checked = checked;
    },
    filter(needle) {
      let shown = 0;
      /** @type {NodeListOf<HTMLElement>} */ (el.querySelectorAll('.picker__option')).forEach((option) => {
        option.hidden = Boolean(needle) && !option.dataset.search.includes(needle);
        if (!option.hidden) shown += 1;
      });
      /** @type {HTMLElement} */ (el.querySelector('.picker__none')).hidden = shown > 0;
    },
  };
}

function pickerOption(rule, option, onChange) {
  const box = h('input', { type: 'checkbox', value: option.value, checked: rule.values.includes(option.value) });
  box.addEventListener('change', () => {
    if (box.checked && !rule.values.includes(option.value)) rule.values.push(option.value);
    if (!box.checked) rule.values = rule.values.filter((v) => v !== option.value);
    onChange();
  });
  return h('label', { class: ['picker__option', option.pattern && 'picker__option--pattern'], dataset: { search: `${option.value} ${option.meta}`.toLowerCase() } },
    box, h('span', { class: 'picker__value' }, option.label), h('span', { class: 'picker__meta' }, option.meta));
}

/** The search box over the picker; Enter calls `onEnter` instead of submitting the form. */
function filterInput({ label, index, picker, onEnter }) {
  const filter = h('input', {
    type: 'search', class: 'input input--sm', placeholder: `Filter ${label.toLowerCase()}…`, 'aria-label': `Filter ${label.toLowerCase()} of rule ${index + 1}`,
    'data-error-control': true,
  });
  filter.addEventListener('input', () => picker.filter(filter.value.trim().toLowerCase()));
  filter.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    onEnter();
  });
  return filter;
}
