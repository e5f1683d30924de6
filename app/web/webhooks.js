// "Webhooks": a project's webhooks (a button by the page title). Create one (its signing secret
// is shown once), turn it off and on, delete it, and read its delivery log with a "Resend"
// action. Every change goes through the named documents and shows the payload's errors.
import { ApiError, AuthError, mutate, run } from './api.js';
import { busy, clear, clearErrors, field, formError, h, icon, nextId, openModal, showErrors, toast } from './dom.js';
import { timeEl } from './format.js';

const EVENTS = [
  ['KEY_USAGE_THRESHOLD', 'Usage threshold reached'],
  ['KEY_LIMIT_REACHED', 'Limit reached'],
  ['KEY_ROLLED', 'Key rolled'],
  ['KEY_DELETED', 'Key deleted'],
];
/** @typedef {import('../../clients/typescript/src/generated/graphql').WebhookEventType} WebhookEventType */
const EVENT_LABEL = Object.fromEntries(EVENTS);

function deliveryState(delivery) {
  if (delivery.deliveredAt) return ['Delivered ', timeEl(delivery.deliveredAt)];
  if (delivery.nextAttemptAt) return ['Next attempt ', timeEl(delivery.nextAttemptAt)];
  return ['Given up'];
}

function deliveryItem(delivery, resend) {
  const button = h('button', { type: 'button', class: 'btn btn--secondary btn--small' }, 'Resend');
  button.addEventListener('click', () => busy(button, () => resend(delivery)));
  return h('li', { class: 'webhook-delivery', dataset: { eventId: delivery.eventId } },
    h('div', {},
      h('strong', {}, EVENT_LABEL[delivery.eventType] || delivery.eventType), ' · ', timeEl(delivery.createdAt)),
    h('div', { class: 'muted' },
      `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`,
      delivery.lastStatus !== null ? ` · last answer ${delivery.lastStatus}` : '',
      delivery.lastError ? ` · ${delivery.lastError}` : '', ' · ', ...deliveryState(delivery)),
    button);
}

function secretCallout(secret) {
  const value = h('input', { type: 'text', class: 'input input--mono', readOnly: true, value: secret, 'aria-label': 'Signing secret' });
  value.addEventListener('focus', () => value.select());
  const copy = h('button', { type: 'button', class: 'btn btn--primary' }, icon('copy'), h('span', {}, 'Copy'));
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(secret); } catch { value.select(); document.execCommand('copy'); }
    toast('Signing secret copied to the clipboard.', 'success');
  });
  return h('div', { class: 'callout callout--warning', role: 'note', dataset: { secret: '' } }, icon('warning'),
    h('div', {},
      h('strong', {}, 'Copy the signing secret now — you will not see it again.'),
      h('p', {}, 'Receivers verify every delivery with it (Standard Webhooks).'),
      h('div', { class: 'secret__row' }, value, copy)));
}

/** ctx: {projectId, projectName, onAuthError, returnFocus}. */
export function webhooksDialog(ctx) {
  const list = h('ul', { class: 'webhooks', 'aria-label': 'Webhooks of this project' });
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading…');
  const log = h('section', { class: 'webhook-log', hidden: true });
  const created = h('div', {});

  const formId = nextId('webhook');
  const url = h('input', { type: 'url', class: 'input', required: true, placeholder: 'https://example.com/keyplane', autocomplete: 'off' });
  const description = h('input', { type: 'text', class: 'input', maxLength: 200, autocomplete: 'off' });
  const boxes = EVENTS.map(([value, label]) => {
    const input = h('input', { type: 'checkbox', value, checked: value !== 'KEY_ROLLED' && value !== 'KEY_DELETED' });
    return { input, el: h('label', { class: 'choice' }, input, h('span', {}, label)) };
  });
  const form = h('form', { id: formId, class: 'form' },
    field({ label: 'Endpoint URL', control: url, path: 'url', hint: 'https:// (http:// only to private addresses, when the operator allows them).' }),
    h('fieldset', { class: 'field', dataset: { field: 'events' } },
      h('legend', { class: 'field__label' }, 'Events'),
      h('div', { class: 'stack' }, boxes.map((b) => b.el)),
      h('p', { class: 'field__error', role: 'alert', hidden: true })),
    field({ label: 'Description (optional)', control: description, path: 'description' }),
    formError(),
    h('button', { type: 'submit', class: 'btn btn--primary' }, icon('plus'), h('span', {}, 'Add webhook')));

  const modal = openModal({
    title: 'Webhooks', description: `Signed events about the keys of “${ctx.projectName}”.`,
    body: [created, status, list, log, h('h3', {}, 'Add a webhook'), form], size: 'lg', returnFocus: ctx.returnFocus,
  });
  modal.footer.append(h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Close'));

  const failed = (error) => {
    if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
    status.textContent = error instanceof ApiError ? error.message : 'Something went wrong. Try again.';
  };

  async function showLog(hook) {
    clear(log).append(h('h3', {}, `Deliveries to ${hook.url}`), h('p', { class: 'muted' }, 'Loading…'));
    log.hidden = false;
    try {
      const data = await run('WebhookDeliveries', { id: hook.id, first: 20 });
      const node = data.node && 'deliveries' in data.node ? data.node : null;
      const edges = node?.deliveries?.edges ?? [];
      const resend = async (delivery) => {
        const payload = await mutate('ResendWebhookDelivery', { id: delivery.id });
        if (payload.errors?.length) { toast(payload.errors[0].message, 'error'); return; }
        toast('Delivery queued again.', 'success');
        await showLog(hook);
      };
      clear(log).append(h('h3', {}, `Deliveries to ${hook.url}`),
        edges.length ? h('ol', { class: 'webhook-deliveries' }, edges.map((e) => deliveryItem(e.node, resend)))
          : h('p', { class: 'muted' }, 'Nothing sent yet.'));
    } catch (error) { failed(error); }
  }

  function hookItem(hook) {
    const toggle = h('input', { type: 'checkbox', role: 'switch', class: 'switch__input', checked: hook.enabled, 'aria-label': `Enabled: ${hook.url}` });
    toggle.addEventListener('change', async () => {
      try {
        const payload = await mutate('UpdateWebhook', { id: hook.id, enabled: toggle.checked });
        if (payload.errors?.length) { toggle.checked = !toggle.checked; toast(payload.errors[0].message, 'error'); return; }
        toast(toggle.checked ? 'Webhook enabled.' : 'Webhook disabled.', 'success');
      } catch (error) { toggle.checked = !toggle.checked; failed(error); }
    });
    const deliveries = h('button', { type: 'button', class: 'btn btn--secondary btn--small' }, 'Deliveries');
    deliveries.addEventListener('click', () => showLog(hook));
    const remove = h('button', { type: 'button', class: 'btn btn--danger btn--small' }, icon('trash'), h('span', {}, 'Delete'));
    remove.addEventListener('click', () => busy(remove, async () => {
      if (!window.confirm(`Delete the webhook ${hook.url}? Nothing more is sent to it.`)) return;
      try {
        const payload = await mutate('DeleteWebhook', { id: hook.id });
        if (payload.errors?.length) { toast(payload.errors[0].message, 'error'); return; }
        toast('Webhook deleted.', 'success');
        log.hidden = true;
        await load();
      } catch (error) { failed(error); }
    }));
    return h('li', { class: 'webhook', dataset: { webhookId: hook.id } },
      h('div', {}, h('strong', { class: 'mono' }, hook.url),
        h('div', { class: 'muted' }, hook.events.map((e) => EVENT_LABEL[e] || e).join(', '),
          hook.description ? ` · ${hook.description}` : '')),
      h('label', { class: 'switch' }, toggle, h('span', { class: 'switch__track', 'aria-hidden': 'true' }, h('span', { class: 'switch__thumb' })),
        h('span', { class: 'switch__label' }, 'Enabled')),
      deliveries, remove);
  }

  async function load() {
    try {
      const data = await run('ProjectWebhooks', { projectId: ctx.projectId });
      const hooks = data.project?.webhooks ?? [];
      clear(list).append(...hooks.map(hookItem));
      status.textContent = hooks.length ? `${hooks.length} webhook${hooks.length === 1 ? '' : 's'}` : 'No webhooks yet.';
    } catch (error) { failed(error); }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    /** @type {import('../../clients/typescript/src/operations').InputFor<'CreateWebhook'>} */
    const input = {
      projectId: ctx.projectId, url: url.value.trim(),
      events: boxes.filter((b) => b.input.checked).map((b) => /** @type {WebhookEventType} */ (b.input.value)),
    };
    if (description.value.trim()) input.description = description.value.trim();
    const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
    try {
      const payload = await busy(submit, () => mutate('CreateWebhook', input));
      if (payload.errors?.length) { showErrors(form, payload.errors); return; }
      clear(created).append(secretCallout(payload.secret));
      form.reset();
      await load();
    } catch (error) {
      if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
      showErrors(form, [{ field: null, message: error instanceof ApiError ? error.message : 'Something went wrong. Try again.' }]);
    }
  });
  load();
  return modal;
}
