// "Activity": the audit log of a project (a button by the page title) or of one key (its ⋮
// menu): who changed what and when, each change as a readable before → after.
import { AuthError, run } from './api.js';
import { busy, clear, h, openModal } from './dom.js';
import { timeEl } from './format.js';

const PAGE = 20;
const ACTIONS = {
  PROJECT_CREATED: 'Project created', KEY_CREATED: 'Key created', KEY_RENAMED: 'Key renamed',
  KEY_LIMITS_UPDATED: 'Limits updated', KEY_ENABLED: 'Key enabled', KEY_DISABLED: 'Key disabled',
  KEY_IAM_RULES_UPDATED: 'IAM rules updated', KEY_ROLLED: 'Key rolled', KEY_DELETED: 'Key deleted',
  TOKEN_CREATED: 'Token created', TOKEN_REVOKED: 'Token revoked', PLAN_CHANGED: 'Plan changed',
  WEBHOOK_CREATED: 'Webhook created', WEBHOOK_UPDATED: 'Webhook updated', WEBHOOK_DELETED: 'Webhook deleted',
};

export function actorLabel(actor) {
  if (actor.kind === 'OPERATOR') return 'Operator (CLI)';
  if (actor.kind === 'SYSTEM') return 'keyplane';
  return actor.label ? `Token “${actor.label}” (#${actor.tokenId})` : `Token #${actor.tokenId}`;
}

function valueText(value) {
  return value === null || value === undefined ? 'none' : value;
}

function eventItem(event) {
  return h('li', { class: 'activity__event', dataset: { action: event.action } },
    h('div', { class: 'activity__head' },
      h('strong', {}, ACTIONS[event.action] || event.action),
      h('span', { class: 'muted' }, ' by ', h('span', { class: 'activity__actor' }, actorLabel(event.actor)), ' · '),
      timeEl(event.occurredAt)),
    event.changes.length ? h('ul', { class: 'activity__changes' }, event.changes.map((c) => h('li', {},
      h('span', { class: 'activity__field' }, c.field), ': ',
      h('span', { class: 'mono' }, valueText(c.before)), ' → ', h('span', { class: 'mono' }, valueText(c.after))))) : null);
}

/** filter: {projectId} or {targetId}; title names what the log is about. */
export function activityDialog({ filter, title, ctx }) {
  const list = h('ol', { class: 'activity', 'aria-label': 'Events, newest first' });
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'btn btn--secondary', hidden: true }, 'Load more');
  const modal = openModal({ title: 'Activity', description: title, body: [status, list], size: 'md', returnFocus: ctx.returnFocus });
  modal.footer.append(more, h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Close'));
  let after = null;

  async function load() {
    try {
      const data = await run('AuditEvents', { filter, first: PAGE, after });
      const page = data.organization.auditEvents;
      page.edges.forEach((edge) => list.append(eventItem(edge.node)));
      status.textContent = page.totalCount === 0 ? 'No activity yet.' : `${page.totalCount} event${page.totalCount === 1 ? '' : 's'}`;
      after = page.pageInfo.endCursor;
      more.hidden = !page.pageInfo.hasNextPage;
    } catch (error) {
      if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
      status.textContent = error.message;
    }
  }
  more.addEventListener('click', () => busy(more, load));
  clear(list);
  load();
  return modal;
}
