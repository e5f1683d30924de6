// "New project".
import { field, formError, h, nextId, openModal, toast } from '../dom.js';
import { footerButtons, submitMutation } from './submit.js';

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
