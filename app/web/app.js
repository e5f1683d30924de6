// keyplane dashboard: the API Keys page. Plain ES modules, no framework, no build step.
import { AuthError, preload, run, session } from './api.js';
import { createKeyDialog } from './dialogs/create-key.js';
import { deleteDialog } from './dialogs/delete.js';
import { iamDialog } from './dialogs/iam.js';
import { limitsDialog } from './dialogs/limits.js';
import { projectDialog } from './dialogs/project.js';
import { renameDialog } from './dialogs/rename.js';
import { toggleEnabled } from './dialogs/toggle.js';
import { usageDialog } from './dialogs/usage.js';
import { clear, h, icon, toast } from './dom.js';
import {
  amountEl, PLAN_NAMES, plural, proportion, ruleLabel, timeEl, toNanos, windowLabel,
} from './format.js';
import { closeOpenMenu, menuButton } from './menu.js';
import { activityDialog } from './activity.js';
import { webhooksDialog } from './webhooks.js';
import { previousKeyNote, rollDialog } from './roll.js';

/** @typedef {import('../../clients/typescript/src/generated/graphql').KeyFilter} KeyFilter */

const PROJECT_KEY = 'keyplane.project';
/** @param {string} id an element of index.html */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
// the same lookup for the elements whose own properties (value, disabled, …) the page uses
const $input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));
const $button = (/** @type {string} */ id) => /** @type {HTMLButtonElement} */ ($(id));
const $select = (/** @type {string} */ id) => /** @type {HTMLSelectElement} */ ($(id));

const state = {
  org: null,
  projectId: null,
  project: null,
  filter: /** @type {KeyFilter} */ ('ALL'),
  pageSize: 25,
  cursors: [null], // the `after` of each visited page
  page: 0,
  keys: [],
  pageInfo: null,
  loadSeq: 0,
  loading: false, // a load of the list is under way: the pager waits for it
  loadFailed: false, // the last load failed: the pager shows nothing it cannot stand by
};

// ---------------------------------------------------------------- sign in / out

function showSignIn(message) {
  $('app').hidden = true;
  $('signin').hidden = false;
  document.title = 'Sign in · keyplane';
  const error = $('token-error');
  error.textContent = message || '';
  error.hidden = !message;
  $('token-input').toggleAttribute('aria-invalid', Boolean(message));
  $('token-input').focus();
}

function signOut(message) {
  session.clear();
  try { sessionStorage.removeItem(PROJECT_KEY); } catch { /* ignore */ }
  state.org = null;
  state.project = null;
  state.keys = [];
  clear($('keys-body'));
  document.querySelectorAll('dialog').forEach((d) => d.remove());
  closeOpenMenu();
  showSignIn(message);
}

function onAuthError(error) {
  signOut(error?.message?.startsWith('That token') ? 'Your session ended: the token is no longer accepted. Sign in again.' : error?.message);
}

$('token-reveal').addEventListener('click', () => {
  const input = $input('token-input');
  const show = input.type === 'password';
  input.type = show ? 'text' : 'password';
  $('token-reveal').textContent = show ? 'Hide' : 'Show';
  $('token-reveal').setAttribute('aria-pressed', String(show));
});

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $input('token-input');
  const token = input.value.trim();
  const error = $('token-error');
  error.hidden = true;
  input.removeAttribute('aria-invalid');
  if (!token) return;
  const button = $button('signin-submit');
  button.disabled = true;
  button.classList.add('is-busy');
  try {
    const data = await run('Organization', {}, token);
    session.set(token);
    input.value = '';
    input.type = 'password';
    await enterApp(data.organization);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } finally {
    button.disabled = false;
    button.classList.remove('is-busy');
  }
});

$('sign-out').addEventListener('click', () => {
  signOut();
  toast('Signed out. The token was removed from this tab.');
});

// ---------------------------------------------------------------- organization & projects

async function enterApp(organization) {
  state.org = organization;
  $('signin').hidden = true;
  $('app').hidden = false;
  document.title = 'API Keys · keyplane';
  preload('ProjectApiKeys', 'CreateApiKey', 'SetApiKeyEnabled');
  let remembered = null;
  try { remembered = sessionStorage.getItem(PROJECT_KEY); } catch { /* ignore */ }
  const projects = organization.projects;
  const chosen = projects.find((p) => p.id === remembered) || projects[0] || null;
  renderOrg();
  await selectProject(chosen?.id ?? null, { focus: false });
  // move focus off the vanished sign-in form, unless the user already moved it while keys loaded
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('#signin')) $('page-title').focus();
}

function renderOrg() {
  const { org } = state;
  $('org-name').textContent = org.name;
  $('org-plan').textContent = PLAN_NAMES[org.plan] || org.plan;
  $('org-plan').className = `badge badge--plan badge--plan-${org.plan.toLowerCase()}`;
  const selectEl = clear($select('project-select'));
  if (!org.projects.length) selectEl.append(h('option', { value: '' }, 'No projects yet'));
  for (const project of org.projects) {
    selectEl.append(h('option', { value: project.id, selected: project.id === state.projectId }, project.name));
  }
  selectEl.disabled = !org.projects.length;
}

async function selectProject(projectId, { focus = true } = {}) {
  state.projectId = projectId;
  state.project = state.org.projects.find((p) => p.id === projectId) || null;
  try { if (projectId) sessionStorage.setItem(PROJECT_KEY, projectId); } catch { /* ignore */ }
  $select('project-select').value = projectId || '';
  resetPaging();
  renderPlan();
  await loadKeys();
  if (focus) $('page-title').focus();
}

$select('project-select').addEventListener('change', () => selectProject($select('project-select').value, { focus: false }));

function openNewProject() {
  projectDialog({
    returnFocus: () => $('project-select'),
    onAuthError,
    onProjectCreated: async (project) => {
      state.org.projects.push(project);
      state.projectId = project.id;
      renderOrg();
      await selectProject(project.id, { focus: false });
    },
  });
}

$('new-project').addEventListener('click', openNewProject);

// ---------------------------------------------------------------- plan usage

function renderPlan() {
  const project = state.project;
  const plan = PLAN_NAMES[state.org?.plan] || state.org?.plan || '';
  const button = $button('create-key');
  const hint = $('plan-hint');
  const meter = /** @type {HTMLProgressElement} */ ($('plan-meter'));
  hint.className = 'plan-card__hint';
  if (!project) {
    $('plan-count').textContent = 'No project';
    $('plan-name').textContent = '';
    meter.hidden = true;
    button.disabled = true;
    hint.textContent = 'Create a project to start creating API keys.';
    return;
  }
  const { keyCount, keyLimit, canCreateKey } = project;
  $('plan-count').textContent = keyLimit === null ? plural(keyCount, 'key') : `${keyCount} of ${keyLimit} keys`;
  $('plan-name').textContent = keyLimit === null ? `${plan} plan · no limit` : `${plan} plan`;
  meter.hidden = keyLimit === null;
  meter.max = Math.max(1, keyLimit ?? 1);
  meter.value = Math.min(keyCount, keyLimit ?? 0);
  meter.classList.toggle('meter--full', keyLimit !== null && keyCount >= keyLimit);
  button.disabled = !canCreateKey;
  if (!canCreateKey) {
    hint.textContent = `Key limit reached: the ${plan} plan allows ${keyLimit} keys per project, and disabled and expired keys count too. Delete unused keys or upgrade to create more.`;
    hint.classList.add('plan-card__hint--limit');
  } else if (keyLimit !== null) {
    const left = keyLimit - keyCount;
    hint.textContent = `${plural(left, 'key')} left on the ${plan} plan.`;
  } else {
    hint.textContent = `The ${plan} plan has no key limit for this project.`;
  }
}

// ---------------------------------------------------------------- the list

function resetPaging() {
  state.cursors = [null];
  state.page = 0;
}

async function loadKeys() {
  const body = $('keys-body');
  const table = $('keys-table');
  if (!state.projectId) {
    state.keys = [];
    state.pageInfo = null;
    clear(body).append(emptyRow('No project yet', 'Create a project to hold your API keys.',
      h('button', { type: 'button', class: 'btn btn--primary btn--sm', onclick: openNewProject }, icon('plus'), h('span', {}, 'Create project'))));
    updatePager();
    return;
  }
  const seq = ++state.loadSeq;
  table.setAttribute('aria-busy', 'true');
  state.loading = true;
  state.loadFailed = false;
  updatePager();
  if (!state.keys.length) clear(body).append(loadingRow());
  try {
    const data = await run('ProjectApiKeys', {
      projectId: state.projectId, filter: state.filter, first: state.pageSize, after: state.cursors[state.page],
    });
    if (seq !== state.loadSeq) return;
    const project = data.project;
    if (!project) {
      // the project disappeared: fall back to the organization's first one
      const fresh = await run('Organization');
      state.org = fresh.organization;
      renderOrg();
      await selectProject(state.org.projects[0]?.id ?? null, { focus: false });
      return;
    }
    const { apiKeys, ...fields } = project;
    state.project = fields;
    const index = state.org.projects.findIndex((p) => p.id === fields.id);
    if (index >= 0) state.org.projects[index] = fields;
    if (!apiKeys.edges.length && state.page > 0) { // the page emptied (deletes): step back
      state.page -= 1;
      state.cursors.length = state.page + 1;
      await loadKeys();
      return;
    }
    state.keys = apiKeys.edges.map((e) => e.node);
    state.pageInfo = apiKeys.pageInfo;
    renderPlan();
    renderKeys();
  } catch (error) {
    if (seq !== state.loadSeq) return;
    if (error instanceof AuthError) { onAuthError(error); return; }
    state.loadFailed = true;
    clear(body).append(h('tr', { class: 'state-row' }, h('td', { colspan: '9' },
      h('div', { class: 'empty' },
        h('p', { class: 'empty__title' }, 'The keys could not be loaded'),
        h('p', { class: 'empty__text' }, error.message),
        h('button', { type: 'button', class: 'btn btn--secondary btn--sm', onclick: () => loadKeys() }, 'Try again')))));
  } finally {
    if (seq === state.loadSeq) {
      table.removeAttribute('aria-busy');
      state.loading = false;
      updatePager();
    }
  }
}

function loadingRow() {
  return h('tr', { class: 'state-row state-row--loading' }, h('td', { colspan: '9' }, h('div', { class: 'empty' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('p', { class: 'empty__text' }, 'Loading keys…'))));
}

function emptyRow(title, text, action) {
  return h('tr', { class: 'state-row' }, h('td', { colspan: '9' },
    h('div', { class: 'empty' }, h('div', { class: 'empty__icon' }, icon('key')), h('p', { class: 'empty__title' }, title), h('p', { class: 'empty__text' }, text), action)));
}

function renderKeys() {
  const body = clear($('keys-body'));
  closeOpenMenu();
  $('keys-caption').textContent = `API keys of ${state.project?.name ?? 'the project'} (${state.filter.toLowerCase()})`;
  if (!state.keys.length) {
    if (state.filter === 'ALL') {
      body.append(emptyRow('No API keys yet', 'Create a key for each app or environment: production, staging, ci…',
        state.project?.canCreateKey ? h('button', { type: 'button', class: 'btn btn--primary btn--sm', onclick: openCreate }, icon('plus'), h('span', {}, 'Create your first key')) : null));
    } else {
      body.append(emptyRow(state.filter === 'ACTIVE' ? 'No active keys' : 'No inactive keys',
        state.filter === 'ACTIVE' ? 'Every key of this project is disabled or expired.' : 'Disabled and expired keys show up here.'));
    }
  }
  for (const key of state.keys) body.append(keyRow(key));
  updatePager();
}

function keyRow(key) {
  return h('tr', { class: ['key-row', `key-row--${key.status.toLowerCase()}`], dataset: { keyId: key.id } },
    h('td', { class: 'cell-name', 'data-label': 'Name' },
      h('span', { class: 'key-name' }, key.name),
      h('span', { class: 'cell-sub' }, key.lastUsedAt ? ['Last used ', timeEl(key.lastUsedAt)] : 'Never used')),
    h('td', { 'data-label': 'API Key' }, h('code', { class: 'masked-key' }, key.maskedKey), previousKeyNote(key)),
    h('td', { 'data-label': 'Status' }, statusCell(key)),
    h('td', { 'data-label': 'Created' }, timeEl(key.createdAt, { dateOnly: true })),
    h('td', { 'data-label': 'Usage', class: 'num' }, usageCell(key)),
    h('td', { 'data-label': 'Current Period' }, periodCell(key)),
    h('td', { 'data-label': 'Limits' }, limitsCell(key)),
    h('td', { 'data-label': 'IAM Rules' }, iamCell(key)),
    h('td', { class: 'cell-actions' }, actionsMenu(key)));
}

function statusCell(key) {
  const badge = {
    ACTIVE: h('span', { class: 'badge badge--active' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Active'),
    DISABLED: h('span', { class: 'badge badge--disabled' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Disabled'),
    EXPIRED: h('span', { class: 'badge badge--expired' }, icon('clock'), 'Expired'),
  }[key.status];
  let detail;
  if (!key.expiresAt) detail = 'No expiry';
  else if (key.status === 'EXPIRED') detail = ['Expired ', timeEl(key.expiresAt)];
  else detail = ['Expires ', timeEl(key.expiresAt)];
  return [badge, h('span', { class: 'cell-sub' }, detail)];
}

function usageCell(key) {
  const cap = key.limits.allTime;
  const reached = cap !== null && toNanos(key.usage) >= toNanos(cap);
  return [amountEl(key.usage),
    reached ? h('span', { class: 'cell-sub cell-sub--warn' }, 'All-time limit reached') : null];
}

function periodCell(key) {
  const period = key.currentPeriod;
  if (!period) return h('span', { class: 'muted' }, '—', h('span', { class: 'sr-only' }, 'no recurring limit'));
  const percent = proportion(period.usage, period.limit, 100);
  const full = toNanos(period.remaining) === 0n;
  return [
    h('span', { class: 'period' }, amountEl(period.usage), h('span', { class: 'muted' }, ' of ', amountEl(period.limit))),
    h('progress', { class: ['meter', 'meter--sm', full && 'meter--full'], max: '100', value: String(percent), 'aria-label': `${percent}% of the current period's limit used` }),
    full
      ? h('span', { class: 'cell-sub cell-sub--warn' }, 'Period limit reached, resets ', timeEl(period.resetsAt))
      : h('span', { class: 'cell-sub' }, 'Resets ', timeEl(period.resetsAt)),
  ];
}

function limitsCell(key) {
  const { allTime, recurring } = key.limits;
  if (allTime === null && !recurring) return h('span', { class: 'muted' }, 'No limits');
  return h('ul', { class: 'limit-list' },
    allTime !== null ? h('li', {}, amountEl(allTime), h('span', { class: 'muted' }, ' all-time')) : null,
    recurring ? h('li', {}, amountEl(recurring.amount), h('span', { class: 'limit-list__window' }, ` / ${windowLabel(recurring.window)}`)) : null);
}

function iamCell(key) {
  if (!key.hasIamRules) return h('span', { class: 'muted' }, 'None');
  const kinds = [...new Set(key.iamRules.map((r) => ruleLabel(r.type)))];
  const detail = key.iamRules.map((r) => `${ruleLabel(r.type)}: ${r.values.join(', ')}`).join('\n');
  return [h('span', { class: 'badge badge--iam', title: detail }, icon('shield'), plural(key.iamRules.length, 'rule')),
    h('span', { class: 'cell-sub' }, kinds.join(' · '))];
}

function actionsMenu(key) {
  const ctx = keyContext(key);
  return menuButton({
    label: `Actions for ${key.name}`,
    items: () => [
      { label: 'Usage details', icon: 'chart', onSelect: () => usageDialog(key, ctx) },
      { label: 'Rename', icon: 'edit', onSelect: () => renameDialog(key, ctx) },
      { label: 'Update limits', icon: 'limits', onSelect: () => limitsDialog(key, ctx) },
      { label: 'IAM rules', icon: 'shield', onSelect: () => iamDialog(key, ctx) },
      { label: 'Roll key', icon: 'key', onSelect: () => rollDialog(key, ctx) },
      { label: 'Activity', icon: 'clock', onSelect: () => activityDialog({ filter: { targetId: key.id }, title: `“${key.name}”`, ctx }) },
      'separator',
      key.status === 'ACTIVE'
        ? { label: 'Disable', icon: 'pause', onSelect: () => toggleEnabled(key, ctx) }
        : { label: key.status === 'EXPIRED' ? 'Reactivate…' : 'Enable', icon: 'play', onSelect: () => toggleEnabled(key, ctx) },
      { label: 'Delete', icon: 'trash', danger: true, onSelect: () => deleteDialog(key, ctx) },
    ],
  });
}

function menuButtonOf(keyId) {
  return document.querySelector(`tr[data-key-id="${CSS.escape(keyId)}"] .menu__button`);
}

function keyContext(key) {
  return {
    projectId: state.projectId,
    reload: () => loadKeys(),
    onAuthError,
    // after a re-render the row's menu button is a new element: find it by the key's id
    returnFocus: () => menuButtonOf(key.id) || $('page-title'),
  };
}

function openCreate() {
  createKeyDialog({
    projectId: state.projectId,
    reload: () => loadKeys(),
    onAuthError,
    returnFocus: () => ($button('create-key').disabled ? $('plan-hint') : $('create-key')),
  });
}

$('create-key').addEventListener('click', openCreate);
$('project-activity').addEventListener('click', () => activityDialog({
  filter: { projectId: state.projectId }, title: state.project?.name ?? '', ctx: { onAuthError, returnFocus: $('project-activity') },
}));
$('project-webhooks').addEventListener('click', () => webhooksDialog({
  projectId: state.projectId, projectName: state.project?.name ?? '', onAuthError, returnFocus: $('project-webhooks'),
}));
$('plan-hint').tabIndex = -1;

// ---------------------------------------------------------------- tabs, paging, refresh

const tabs = [.../** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[role="tab"]'))];
/** @param {HTMLButtonElement} tab */
function selectTab(tab, { focus = false } = {}) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
  }
  $('keys-panel').setAttribute('aria-labelledby', tab.id);
  if (focus) tab.focus();
  if (state.filter !== tab.dataset.filter) {
    state.filter = /** @type {KeyFilter} */ (tab.dataset.filter);
    state.keys = [];
    resetPaging();
    loadKeys();
  }
}
tabs.forEach((tab, index) => {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    selectTab(tabs[(moves[event.key] + tabs.length) % tabs.length], { focus: true });
  });
});

/** The pager offers only what it can stand by: no moves while a page loads or after a failure. */
function updatePager() {
  const info = state.pageInfo;
  const count = state.keys.length;
  const start = state.page * state.pageSize;
  const settled = !state.loading && !state.loadFailed;
  $button('page-prev').disabled = !settled || state.page === 0;
  $button('page-next').disabled = !settled || !info?.hasNextPage;
  const total = state.filter === 'ALL' && state.project ? ` of ${state.project.keyCount}` : '';
  let status = count ? `${start + 1}–${start + count}${total}` : '';
  if (state.loading) status = 'Loading…';
  else if (state.loadFailed) status = '';
  $('page-status').textContent = status;
  /** @type {HTMLElement} */ (document.querySelector('.pager')).hidden = !count && state.page === 0;
}

$('page-next').addEventListener('click', async () => {
  if (!state.pageInfo?.hasNextPage) return;
  state.cursors[state.page + 1] = state.pageInfo.endCursor;
  state.page += 1;
  await loadKeys();
  ($button('page-next').disabled ? $('page-prev') : $('page-next')).focus();
});
$('page-prev').addEventListener('click', async () => {
  if (state.page === 0) return;
  state.page -= 1;
  state.cursors.length = state.page + 1;
  await loadKeys();
  ($button('page-prev').disabled ? $('page-next') : $('page-prev')).focus();
});
$select('page-size').addEventListener('change', () => {
  state.pageSize = Number($select('page-size').value);
  resetPaging();
  loadKeys();
});

$('refresh').addEventListener('click', async () => {
  const button = $('refresh');
  button.classList.add('is-spinning');
  try { await loadKeys(); } finally { button.classList.remove('is-spinning'); }
});

// The list refreshes itself: the visible page again when the tab comes back (focus, or visible
// again) and every AUTO_REFRESH_MS while it is visible; never under an open dialog or menu
// (the user is working there), nor while a load is already under way.
const AUTO_REFRESH_MS = 15_000;
const busyUi = () => document.querySelector('dialog[open]') || document.querySelector('.menu--open');
function refreshVisiblePage() {
  if (document.visibilityState !== 'visible' || !state.org || !session.token || state.loading || busyUi()) return;
  loadKeys();
}
document.addEventListener('visibilitychange', refreshVisiblePage);
window.addEventListener('focus', refreshVisiblePage);
setInterval(refreshVisiblePage, AUTO_REFRESH_MS);

// ---------------------------------------------------------------- icons of the static markup, boot

/** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-icon]')).forEach((el) => el.prepend(icon(el.dataset.icon)));
/** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-icon-end]')).forEach((el) => el.append(icon(el.dataset.iconEnd)));

async function boot() {
  const token = session.token;
  if (!token) { showSignIn(); return; }
  try {
    const data = await run('Organization');
    await enterApp(data.organization);
  } catch (error) {
    if (error instanceof AuthError) onAuthError(error);
    else showSignIn(error.message);
  }
}

boot();
