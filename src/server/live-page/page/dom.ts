// Small DOM helpers. Text only: everything a visitor sent (page, params, user agent...) is set with
// textContent or an attribute through the DOM, never parsed as HTML.
import { CELL_CHARS } from './settings.js';
import { numberFormat } from './format.js';

/** The element of the page with this id (the page's HTML has every id the script uses). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Sets the text of element `id`, touching the DOM only when it changed. */
export function setText(id: string, text: string): void {
  const node = byId(id);
  if (node.textContent !== text) node.textContent = text;
}

/** A table cell holding `value` as text, cut to CELL_CHARS with the whole value as title. */
export function textCell(value: unknown, className?: string): HTMLTableCellElement {
  const td = el('td', className);
  if (value === null || value === undefined || value === '') {
    td.textContent = '—';
    td.classList.add('muted');
    return td;
  }
  const text = String(value);
  if (text.length > CELL_CHARS) {
    td.textContent = text.slice(0, CELL_CHARS - 1) + '…';
    td.title = text;
    td.classList.add('cut');
  } else {
    td.textContent = text;
  }
  return td;
}

export function numCell(value: number, className?: string): HTMLTableCellElement {
  return el('td', 'num' + (className ? ' ' + className : ''), numberFormat.format(value));
}
