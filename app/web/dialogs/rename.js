// "Rename": a key's name.
import { field, formError, h, nextId, openModal, toast } from '../dom.js';
import { footerButtons, submitMutation } from './submit.js';

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
