// Enable or disable a key from its menu; an expired key is reactivated with a new TTL.
import { AuthError, mutate } from '../api.js';
import { formError, h, icon, nextId, openModal, toast } from '../dom.js';
import { timeEl } from '../format.js';
import { ttlInputs } from './key-fields.js';
import { footerButtons, submitMutation } from './submit.js';

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
