// "IAM rules": which models, providers and pricing tiers a key may use.
import { AuthError } from '../api.js';
import { clear, formError, h, icon, nextId, openModal, toast } from '../dom.js';
import { plural } from '../format.js';
import { loadCatalog, rulesEditor } from './rules-editor.js';
import { footerButtons, submitMutation } from './submit.js';

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
