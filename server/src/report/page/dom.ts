/**
 * Small DOM helpers for the report page. Text from the workspace only ever reaches the page
 * through textContent and attribute values, never as markup.
 */
import { type ReportData, shownPath } from '../page-data';

type Child = Node | string | false | undefined;

export interface Props {
  class?: string;
  title?: string;
  [attribute: string]: string | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v);
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  append(node, children);
  return node;
}

function append(node: Node, children: Child[]): void {
  for (const c of children)
    if (c !== false && c !== undefined)
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * A list drawn a page at a time below `root`'s summary line, with a "Show N more" button:
 * `show(items)` starts again with these items and draws the first page.
 */
export function pagedList<T>(
  root: HTMLElement,
  list: HTMLElement,
  page: number,
  render: (item: T) => Node,
): { summary: HTMLElement; show(items: T[]): void } {
  const summary = h('p', { class: 'muted' });
  const more = h('button', { type: 'button', class: 'more' });
  root.append(summary, list, more);
  let shown: T[] = [];
  let count = 0;
  const showMore = () => {
    const next = shown.slice(count, count + page);
    for (const item of next) list.appendChild(render(item));
    count += next.length;
    more.hidden = count >= shown.length;
    more.textContent = `Show ${Math.min(page, shown.length - count)} more of ${(shown.length - count).toLocaleString('en-US')}`;
  };
  more.addEventListener('click', showMore);
  return {
    summary,
    show(items) {
      shown = items;
      count = 0;
      clear(list);
      showMore();
    },
  };
}

/** Inside the VS Code webview the extension gives the page a way to open a location. */
type Opener = (file: string, line: number, col: number) => void;

function opener(): Opener | undefined {
  const open = (window as { lockscopeOpen?: unknown }).lockscopeOpen;
  return typeof open === 'function' ? (open as Opener) : undefined;
}

export function openLocation(data: ReportData, file: number, line: number, col: number): void {
  opener()?.(data.files[file], line, col);
}

/** `path:line`, a link to the place in the editor when the page is in one. */
export function location(
  data: ReportData,
  file: number,
  line: number,
  col: number,
  withColumn = false,
): HTMLElement {
  const text = `${shownPath(data, file)}:${line}${withColumn ? `:${col}` : ''}`;
  const open = opener();
  const node = h(
    'code',
    { class: open ? 'loc link' : 'loc', title: open ? 'Open in the editor' : data.files[file] },
    text,
  );
  if (open)
    node.addEventListener('click', (ev) => {
      ev.stopPropagation();
      open(data.files[file], line, col);
    });
  return node;
}

/** Makes an element act as a button for the mouse and the keyboard. */
export function onActivate(node: Element, action: () => void): void {
  node.setAttribute('tabindex', '0');
  node.setAttribute('role', 'button');
  node.addEventListener('click', action);
  node.addEventListener('keydown', (ev) => {
    const key = (ev as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') {
      ev.preventDefault();
      action();
    }
  });
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
