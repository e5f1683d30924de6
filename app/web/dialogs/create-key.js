// "Create API key": name, TTL, limits and IAM rules, then the one-time secret (also shown
// after a roll, roll.js).
import { clear, field, formError, h, icon, nextId, openModal, toast } from '../dom.js';
import { timeEl } from '../format.js';
import { reveal, switchControl } from './controls.js';
import { limitInputs, ttlInputs } from './key-fields.js';
import { loadCatalog, rulesEditor } from './rules-editor.js';
import { footerButtons, submitMutation } from './submit.js';

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
