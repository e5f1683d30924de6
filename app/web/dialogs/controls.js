// Form controls of the dialogs: selects, number and money inputs, switches that reveal a panel,
// and a field that groups several controls under one label, hint and error slot.
import { h, nextId } from '../dom.js';

export function select(options, value, props = {}) {
  return h('select', { class: 'select', ...props }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export function numberInput(value, props = {}) {
  return h('input', { type: 'number', class: 'input input--number', inputmode: 'numeric', min: '1', step: '1', required: true, value: value ?? '', ...props });
}

export function moneyInput(value, props = {}) {
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

export function switchControl(label, checked, description) {
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
export function reveal(toggle, panel) {
  const sync = () => {
    panel.hidden = !toggle.checked;
    panel.querySelectorAll('input, select, textarea, button').forEach((c) => { c.disabled = !toggle.checked; });
  };
  toggle.addEventListener('change', () => { sync(); if (toggle.checked) panel.querySelector('input, select')?.focus(); });
  sync();
  return sync;
}

/**
 * A group of controls sharing one label, hint and error slot (data-field = path).
 * @param {{ label?: string, labelFor?: HTMLElement, controls: HTMLElement[], hint?: string, path?: string, className?: string }} options
 */
export function compositeField({ label, labelFor, controls, hint, path, className }) {
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
