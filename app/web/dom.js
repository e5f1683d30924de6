// Small DOM helpers: element builder, icons, form fields, modal dialogs, toasts, and the
// mapping of server-side `errors { code field message }` onto the fields they name.
// Everything is built with DOM APIs (no innerHTML, no inline styles: the CSP forbids them).

import { describeError } from './messages.js';

let uid = 0;
export const nextId = (prefix = 'kp') => `${prefix}-${++uid}`;

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', childNode, [more])
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'readOnly', 'required', 'multiple', 'open'].includes(name)) el[name] = value;
    else if (name === 'style') throw new Error('inline styles are not allowed by the CSP; use a class');
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @template {ParentNode} P
 * @param {P} parent
 * @param {unknown[]} children
 * @returns {P}
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'style') throw new Error('inline styles are not allowed by the CSP; use a class');
    el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// 24×24 stroke icons (paths drawn for this app).
const ICONS = {
  key: ['M15.5 7.5a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z', 'M10.4 9.6 3 17v4h4v-2h2v-2h2l1.4-1.4', 'M12.5 4.5a5 5 0 1 1 3 9'],
  plus: ['M12 5v14', 'M5 12h14'],
  copy: ['M9 9h10v10H9z', 'M5 15V5h10'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  more: ['M12 6.5h.01', 'M12 12h.01', 'M12 17.5h.01'],
  refresh: ['M20 11a8 8 0 0 0-14.9-3.5', 'M4 4v4h4', 'M4 13a8 8 0 0 0 14.9 3.5', 'M20 20v-4h-4'],
  logout: ['M15 4h4v16h-4', 'M10 8l-4 4 4 4', 'M6 12h10'],
  close: ['M6 6l12 12', 'M18 6 6 18'],
  chart: ['M4 20h16', 'M7 16v-5', 'M12 16V7', 'M17 16v-8'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4Z', 'M13.5 6.5l4 4'],
  limits: ['M4 6h10', 'M18 6h2', 'M4 12h4', 'M12 12h8', 'M4 18h12', 'M20 18h0', 'M14 4v4', 'M8 10v4', 'M16 16v4'],
  shield: ['M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6l8-3Z', 'M9 12l2 2 4-4'],
  pause: ['M9 6v12', 'M15 6v12'],
  play: ['M8 5.5v13l10.5-6.5L8 5.5Z'],
  trash: ['M4 7h16', 'M10 11v6', 'M14 11v6', 'M6 7l1 13h10l1-13', 'M9 7V4h6v3'],
  warning: ['M12 3 2 20h20L12 3Z', 'M12 10v4', 'M12 17h.01'],
  clock: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Z', 'M12 7v5l3 2'],
  chevronLeft: ['M15 6l-6 6 6 6'],
  chevronRight: ['M9 6l6 6-6 6'],
  folder: ['M3 6h6l2 2h10v11H3z'],
};

export function icon(name, extraClass = '') {
  return svg('svg', { class: `icon ${extraClass}`.trim(), viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    (ICONS[name] || []).map((d) => svg('path', { d })));
}

/**
 * A labelled form field; `path` is the server's error field path ("name", "ttl", …).
 * @param {{ label?: string, control: HTMLElement, render?: HTMLElement, hint?: string, path?: string,
 *   className?: string, inline?: boolean }} options
 */
export function field({ label, control, render, hint, path, className, inline = false }) {
  const errorId = nextId('err');
  const hintId = hint ? nextId('hint') : null;
  if (!control.id) control.id = nextId('f');
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  return h('div', { class: ['field', inline && 'field--inline', className], dataset: path ? { field: path } : undefined },
    label ? h('label', { for: control.id, class: 'field__label' }, label) : null,
    render || control,
    hint ? h('p', { id: hintId, class: 'field__hint' }, hint) : null,
    h('p', { id: errorId, class: 'field__error', role: 'alert', hidden: true }));
}

/** Clear the error state of a form. */
export function clearErrors(root) {
  root.querySelectorAll('.field__error, .form-error').forEach((el) => { el.textContent = ''; el.hidden = true; });
  root.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute('aria-invalid'));
  root.querySelectorAll('.is-invalid').forEach((el) => el.classList.remove('is-invalid'));
}

function controlsOf(el) {
  return [...el.querySelectorAll('input, select, textarea')].filter((c) => !c.closest('[hidden]'));
}

/**
 * Show each `{code, field, message}` next to the element whose data-field is the error's
 * field path, or the longest path that prefixes it ("iamRules[0].values[1]" lands on
 * "iamRules[0]" when no value chip names it); errors naming no known field go to the form's
 * banner. `aliases` maps server paths onto the paths of this form. Returns how many were shown.
 */
export function showErrors(root, errors, aliases = {}, labels = {}) {
  clearErrors(root);
  const targets = [...root.querySelectorAll('[data-field]')];
  let first = null;
  const banner = root.querySelector('.form-error');
  const unplaced = [];
  for (const raw of errors) {
    // what a person reads: the field's label and a plain sentence (messages.js)
    const error = raw.field ? { ...raw, message: describeError(raw, labels) } : raw;
    const path = aliases[error.field] ?? error.field ?? '';
    let best = null;
    for (const target of targets) {
      const candidate = target.dataset.field;
      const fits = candidate === path || path.startsWith(`${candidate}.`) || path.startsWith(`${candidate}[`);
      if (fits && (!best || candidate.length > best.dataset.field.length)) best = target;
    }
    if (!best) { unplaced.push(error.message); continue; }
    best.classList.add('is-invalid');
    let holder = best;
    while (holder && !holder.querySelector(':scope > .field__error')) holder = holder.parentElement?.closest('[data-field]');
    if (!holder) { unplaced.push(error.message); continue; }
    const slot = holder.querySelector(':scope > .field__error');
    slot.textContent = slot.textContent ? `${slot.textContent} ${error.message}` : error.message;
    slot.hidden = false;
    const marked = best.matches('input, select, textarea') ? [best]
      : best.querySelector('[data-error-control]') ? [best.querySelector('[data-error-control]')] : controlsOf(best);
    marked.forEach((control) => control.setAttribute('aria-invalid', 'true'));
    first = first || marked[0] || controlsOf(holder)[0] || null;
  }
  if (unplaced.length && banner) {
    banner.textContent = unplaced.join(' ');
    banner.hidden = false;
  }
  (first || banner)?.focus?.();
  return errors.length;
}

export function formError() {
  return h('p', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

/**
 * A native modal <dialog>: Escape closes it (the browser's cancel), focus moves inside and
 * returns to `returnFocus` (an element, or a function finding one after a re-render) when it
 * closes; it is removed from the document on close, so nothing it showed (a secret) lingers.
 */
/**
 * @param {{ title: string, description?: string, body: unknown, footer?: unknown, size?: string,
 *   returnFocus?: FocusTarget, onClose?: () => void, className?: string }} options
 */
export function openModal({ title, description, body, footer, size = 'md', returnFocus, onClose, className }) {
  const titleId = nextId('dlg-title');
  const descId = description ? nextId('dlg-desc') : null;
  const opener = returnFocus ?? document.activeElement;
  const titleEl = h('h2', { id: titleId, class: 'modal__title' }, title);
  const descEl = description ? h('p', { id: descId, class: 'modal__description' }, description) : null;
  const closeBtn = h('button', { type: 'button', class: 'btn btn--icon btn--ghost modal__close', 'aria-label': 'Close dialog' }, icon('close'));
  const bodyEl = h('div', { class: 'modal__body' }, body);
  const footerEl = h('div', { class: 'modal__footer' }, footer);
  const dialog = h('dialog', {
    class: ['modal', `modal--${size}`, className], 'aria-labelledby': titleId, 'aria-describedby': descId,
  }, h('div', { class: 'modal__header' }, h('div', {}, titleEl, descEl), closeBtn), bodyEl, footerEl);
  // guardClose(ask): Escape, the browser's close request and × call ask() instead of closing
  let guard = null;
  let escapeHandled = false;
  closeBtn.addEventListener('click', () => (guard ? guard() : dialog.close()));
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !guard) return;
    event.preventDefault();
    escapeHandled = true; // the cancel event this key may still cause is the same request
    setTimeout(() => { escapeHandled = false; }, 0);
    guard();
  });
  dialog.addEventListener('cancel', (event) => {
    if (!guard) return;
    event.preventDefault();
    if (!escapeHandled) guard();
  });
  dialog.addEventListener('close', () => {
    onClose?.();
    dialog.remove();
    restoreFocus(opener);
  }, { once: true });
  // a field's server error goes away as soon as the field is edited
  dialog.addEventListener('input', (event) => {
    const target = /** @type {Element} */ (event.target);
    const holder = target.closest?.('[data-field]');
    if (!holder || !target.matches('input, select, textarea')) return;
    target.removeAttribute('aria-invalid');
    holder.classList.remove('is-invalid');
    const slot = holder.querySelector(':scope > .field__error');
    if (slot instanceof HTMLElement && !holder.querySelector('.is-invalid')) { slot.textContent = ''; slot.hidden = true; }
  });
  document.body.append(dialog);
  dialog.showModal();
  const auto = /** @type {HTMLElement | null} */ (dialog.querySelector('[autofocus]'));
  if (auto) auto.focus();
  return {
    dialog, body: bodyEl, footer: footerEl, titleEl, descEl,
    close: () => { if (dialog.open) dialog.close(); },
    setTitle(text) { titleEl.textContent = text; },
    guardClose(ask) { guard = ask; },
  };
}

/** @typedef {Element | null | (() => Element | null)} FocusTarget */
/** @typedef {ReturnType<typeof openModal>} Modal */

/** @param {FocusTarget} target */
export function restoreFocus(target) {
  let el = /** @type {HTMLButtonElement | null} */ (typeof target === 'function' ? target() : target);
  if (!el || !el.isConnected || el.disabled || el.closest('[hidden]')) el = /** @type {HTMLButtonElement | null} */ (document.getElementById('page-title'));
  el?.focus?.();
}

/**
 * Busy state for a submit button while a request runs.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.classList.add('is-busy');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.classList.remove('is-busy');
  }
}

export function toast(message, kind = 'info') {
  // A modal dialog sits in the top layer: a toast shown while one is open lives inside it.
  const host = [...document.querySelectorAll('dialog[open]')].pop();
  let region = document.getElementById('toasts');
  if (host) {
    region = host.querySelector(':scope > .toasts')
      || host.appendChild(h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' }));
  }
  if (!region) return;
  const item = h('div', { class: `toast toast--${kind}` },
    icon(kind === 'error' ? 'warning' : 'check'), h('span', {}, message));
  region.append(item);
  setTimeout(() => item.classList.add('toast--leaving'), 4200);
  setTimeout(() => item.remove(), 4600);
}
