// "Usage details": a key's spend per day over the last 30 days and its recent requests.
import { ApiError, AuthError, run } from '../api.js';
import { spendChart } from '../chart.js';
import { busy, clear, h, openModal, toast } from '../dom.js';
import { money, plural, timeEl } from '../format.js';

export async function usageDialog(key, ctx) {
  const content = h('div', { class: 'usage', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading usage…'));
  const modal = openModal({
    title: `Usage · ${key.name}`, description: 'Spend per day over the last 30 days and the most recent requests.',
    body: content, size: 'lg', returnFocus: ctx.returnFocus,
  });
  modal.footer.append(h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Close'));
  const records = [];
  let pageInfo = null;
  const tbody = h('tbody');
  const moreButton = h('button', { type: 'button', class: 'btn btn--secondary btn--sm' }, 'Load more requests');

  async function load(after = null) {
    const data = await run('ApiKeyUsage', { id: key.id, first: 25, after });
    if (!data.apiKey) throw new ApiError('This key no longer exists.');
    return data.apiKey;
  }

  function renderRecords() {
    clear(tbody);
    if (!records.length) tbody.append(h('tr', {}, h('td', { colspan: '6', class: 'empty-cell' }, 'No requests recorded yet.')));
    for (const record of records) {
      tbody.append(h('tr', {},
        h('td', { 'data-label': 'Time' }, timeEl(record.occurredAt)),
        h('td', { 'data-label': 'Request', class: 'mono' }, record.requestId),
        h('td', { 'data-label': 'Model' }, record.model || '—'),
        h('td', { 'data-label': 'Provider' }, record.provider || '—'),
        h('td', { 'data-label': 'Source' }, record.source === 'PROVIDER_KEY' ? 'Provider key' : 'Credits'),
        h('td', { 'data-label': 'Cost', class: 'num' }, money(record.cost))));
    }
    moreButton.hidden = !pageInfo?.hasNextPage;
  }

  moreButton.addEventListener('click', async () => {
    try {
      const next = await busy(moreButton, () => load(pageInfo.endCursor));
      records.push(...next.usageRecords.edges.map((e) => e.node));
      pageInfo = next.usageRecords.pageInfo;
      renderRecords();
    } catch (error) {
      toast(error.message, 'error');
    }
  });

  let usage;
  try {
    usage = await load();
  } catch (error) {
    if (error instanceof AuthError) { modal.close(); ctx.onAuthError(error); return; }
    clear(content).append(h('p', { class: 'form-error' }, error.message));
    content.removeAttribute('aria-busy');
    return;
  }
  records.push(...usage.usageRecords.edges.map((e) => e.node));
  pageInfo = usage.usageRecords.pageInfo;
  const summary = usage.usageSummary;
  const period = usage.currentPeriod;
  const sourceTotal = (source) => summary.bySource.find((s) => s.source === source) || { amount: '0', requests: 0 };
  const credits = sourceTotal('CREDITS');
  const providerKeys = sourceTotal('PROVIDER_KEY');
  renderRecords();
  // the chart is drawn for the screen's width class: redraw it when that changes
  let figure = spendChart(summary.byDay);
  const narrow = window.matchMedia('(max-width: 640px)');
  const redraw = () => { const fresh = spendChart(summary.byDay); figure.replaceWith(fresh); figure = fresh; };
  narrow.addEventListener('change', redraw);
  modal.dialog.addEventListener('close', () => narrow.removeEventListener('change', redraw));
  clear(content).append(
    h('div', { class: 'stats' },
      stat('All-time usage', money(usage.usage), usage.lastUsedAt ? ['Last used ', timeEl(usage.lastUsedAt)] : 'Never used'),
      stat('Current period', period ? `${money(period.usage)} of ${money(period.limit)}` : '—',
        period ? ['Resets ', timeEl(period.resetsAt)] : 'No recurring limit'),
      stat('Last 30 days', money(summary.total), plural(summary.requests, 'request')),
      stat('By source', `${money(credits.amount)} credits`, `${money(providerKeys.amount)} via provider keys`)),
    h('section', { class: 'usage__section', 'aria-labelledby': 'usage-chart-title' },
      h('h3', { id: 'usage-chart-title', class: 'form-section__title' }, 'Spend per day (UTC)'),
      figure),
    h('section', { class: 'usage__section', 'aria-labelledby': 'usage-requests-title' },
      h('h3', { id: 'usage-requests-title', class: 'form-section__title' }, 'Recent requests'),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data-table data-table--compact data-table--stack' },
        h('thead', {}, h('tr', {}, ['Time', 'Request', 'Model', 'Provider', 'Source', 'Cost'].map((label) =>
          h('th', { scope: 'col', class: label === 'Cost' ? 'num' : null }, label)))),
        tbody)),
      moreButton));
  content.removeAttribute('aria-busy');
}

function stat(label, value, detail) {
  return h('div', { class: 'stat' },
    h('p', { class: 'stat__label' }, label),
    h('p', { class: 'stat__value' }, value),
    h('p', { class: 'stat__detail' }, detail));
}
