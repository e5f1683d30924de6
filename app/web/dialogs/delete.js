// "Delete": a key, after a confirmation that names it.
import { formError, h, icon, nextId, openModal, toast } from '../dom.js';
import { money } from '../format.js';
import { footerButtons, submitMutation } from './submit.js';

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
