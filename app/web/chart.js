// Spend per day as an inline SVG bar chart, built with DOM APIs. Bar heights are computed
// from BigInt nano-dollars (exact), labels from the decimal strings as they came.
import { h, svg } from './dom.js';
import { fromNanos, money, plural, shortDay, toNanos } from './format.js';

const PAD = { left: 64, right: 12, top: 14, bottom: 30 };

export function spendChart(byDay, { caption = 'Spend per day' } = {}) {
  const days = byDay || [];
  // A narrower drawing on small screens keeps the axis labels readable once scaled.
  const W = window.matchMedia('(max-width: 640px)').matches ? 380 : 720;
  const H = 200;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  let max = 0n;
  for (const day of days) {
    const nanos = toNanos(day.amount) ?? 0n;
    if (nanos > max) max = nanos;
  }
  const total = days.reduce((sum, day) => sum + (toNanos(day.amount) ?? 0n), 0n);
  const requests = days.reduce((sum, day) => sum + day.requests, 0);
  const step = days.length ? plotW / days.length : plotW;
  const barW = Math.max(2, Math.min(28, step * 0.68));
  const baseY = PAD.top + plotH;

  const grid = [];
  for (const [fraction, label] of [[1n, max], [2n, max / 2n]]) {
    const y = PAD.top + plotH - Number((BigInt(plotH) * 1n) / fraction);
    grid.push(svg('line', { class: 'chart__grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    grid.push(svg('text', { class: 'chart__axis', x: PAD.left - 8, y: y + 4, 'text-anchor': 'end' }, max ? money(fromNanos(label)) : ''));
  }
  grid.push(svg('line', { class: 'chart__baseline', x1: PAD.left, x2: W - PAD.right, y1: baseY, y2: baseY }));
  grid.push(svg('text', { class: 'chart__axis', x: PAD.left - 8, y: baseY + 4, 'text-anchor': 'end' }, '$0'));

  const bars = days.map((day, index) => {
    const nanos = toNanos(day.amount) ?? 0n;
    const height = max > 0n ? Number((nanos * BigInt(plotH)) / max) : 0;
    const x = PAD.left + index * step + (step - barW) / 2;
    const shown = nanos > 0n ? Math.max(2, height) : 2;
    return svg('rect', {
      class: nanos > 0n ? 'chart__bar' : 'chart__bar chart__bar--empty',
      x: x.toFixed(2), y: baseY - shown, width: barW.toFixed(2), height: shown, rx: Math.min(3, barW / 3).toFixed(2),
      'data-day': day.day, 'data-amount': day.amount,
    }, svg('title', {}, `${shortDay(day.day)}: ${money(day.amount)} · ${plural(day.requests, 'request')}`));
  });

  const labels = [];
  if (days.length) {
    const picks = [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])];
    for (const index of picks) {
      const x = PAD.left + index * step + step / 2;
      const anchor = index === 0 ? 'start' : index === days.length - 1 ? 'end' : 'middle';
      labels.push(svg('text', { class: 'chart__axis', x: anchor === 'start' ? x - barW / 2 : anchor === 'end' ? x + barW / 2 : x, y: H - 8, 'text-anchor': anchor }, shortDay(days[index].day)));
    }
  }

  const summary = days.length
    ? `${caption}, ${shortDay(days[0].day)} to ${shortDay(days[days.length - 1].day)}: ${money(fromNanos(total))} over ${plural(requests, 'request')}.`
    : `${caption}: no data.`;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary },
    grid, bars, labels);

  const table = h('table', { class: 'data-table data-table--compact' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day (UTC)'), h('th', { scope: 'col', class: 'num' }, 'Requests'), h('th', { scope: 'col', class: 'num' }, 'Spend'))),
    h('tbody', {}, days.filter((d) => d.requests > 0 || (toNanos(d.amount) ?? 0n) > 0n).reverse().map((day) =>
      h('tr', {}, h('td', {}, shortDay(day.day)), h('td', { class: 'num' }, String(day.requests)), h('td', { class: 'num' }, money(day.amount))))));
  const hasRows = table.tBodies[0].rows.length > 0;
  return h('figure', { class: 'chart-figure' },
    chart,
    h('figcaption', { class: 'chart-figure__caption' }, summary),
    h('details', { class: 'chart-figure__data' }, h('summary', {}, 'Show the numbers'),
      hasRows ? table : h('p', { class: 'muted' }, 'No spend in this range.')));
}
