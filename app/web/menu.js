// An accessible menu button: Enter/Space/ArrowDown open it, arrows move, Home/End jump,
// Escape or Tab close it, focus returns to the button. Positioned by CSS classes only.
import { h, icon } from './dom.js';

let openMenu = null;

export function closeOpenMenu({ focusButton = false } = {}) {
  if (!openMenu) return;
  const { button, list, wrapper } = openMenu;
  openMenu = null;
  list.remove();
  wrapper.classList.remove('menu--open', 'menu--up');
  button.setAttribute('aria-expanded', 'false');
  if (focusButton) button.focus();
}

document.addEventListener('pointerdown', (event) => {
  if (openMenu && !openMenu.wrapper.contains(event.target)) closeOpenMenu();
});

/**
 * items: [{label, icon, onSelect, danger}] or null for a separator. Returns the wrapper; the
 * button has class "menu__button" and the given label.
 */
export function menuButton({ label, items, buttonClass = 'btn btn--icon btn--ghost', buttonContent = icon('more') }) {
  const button = h('button', {
    type: 'button', class: `${buttonClass} menu__button`, 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': label, title: label,
  }, buttonContent);
  const wrapper = h('div', { class: 'menu' }, button);

  function open(focus = 'first') {
    closeOpenMenu();
    const entries = items().filter(Boolean);
    const list = h('div', { class: 'menu__list', role: 'menu', 'aria-label': label });
    for (const entry of entries) {
      if (entry === 'separator') { list.append(h('div', { class: 'menu__separator', role: 'separator' })); continue; }
      list.append(h('button', {
        type: 'button', role: 'menuitem', tabindex: '-1', class: ['menu__item', entry.danger && 'menu__item--danger'],
        onclick: () => { closeOpenMenu(); entry.onSelect(); },
      }, entry.icon ? icon(entry.icon) : null, h('span', {}, entry.label)));
    }
    list.addEventListener('keydown', onKey);
    wrapper.append(list);
    wrapper.classList.add('menu--open');
    button.setAttribute('aria-expanded', 'true');
    openMenu = { button, list, wrapper };
    // open upwards when there is no room below
    const rect = list.getBoundingClientRect();
    if (rect.bottom > window.innerHeight - 8 && button.getBoundingClientRect().top > rect.height + 8) wrapper.classList.add('menu--up');
    const menuItems = itemsOf(list);
    (focus === 'last' ? menuItems[menuItems.length - 1] : menuItems[0])?.focus();
  }

  function itemsOf(list) {
    return [...list.querySelectorAll('[role="menuitem"]')];
  }

  function onKey(event) {
    const list = event.currentTarget;
    const menuItems = itemsOf(list);
    const index = menuItems.indexOf(document.activeElement);
    const move = (to) => { event.preventDefault(); menuItems[(to + menuItems.length) % menuItems.length]?.focus(); };
    switch (event.key) {
      case 'ArrowDown': move(index + 1); break;
      case 'ArrowUp': move(index - 1); break;
      case 'Home': move(0); break;
      case 'End': move(menuItems.length - 1); break;
      case 'Escape': event.preventDefault(); event.stopPropagation(); closeOpenMenu({ focusButton: true }); break;
      case 'Tab': closeOpenMenu({ focusButton: true }); break;
      default:
        if (event.key.length === 1 && /\S/.test(event.key)) {
          const start = index + 1;
          const found = [...menuItems.slice(start), ...menuItems.slice(0, start)]
            .find((item) => item.textContent.trim().toLowerCase().startsWith(event.key.toLowerCase()));
          if (found) { event.preventDefault(); found.focus(); }
        }
    }
  }

  button.addEventListener('click', () => {
    if (openMenu?.button === button) closeOpenMenu();
    else open();
  });
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') { event.preventDefault(); open('first'); }
    if (event.key === 'ArrowUp') { event.preventDefault(); open('last'); }
  });
  return wrapper;
}
