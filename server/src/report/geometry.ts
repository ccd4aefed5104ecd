/**
 * Geometry of the report's small diagrams, computed in the page (no layout library ships in it):
 * a cycle's classes on a ring with its edges as arcs between neighbours, and a class's
 * neighbourhood as columns. Text is monospace, so widths follow from lengths. Pure: the page
 * draws what these return and the unit tests check that nothing overlaps.
 */

export interface Point {
  x: number;
  y: number;
}

/** Top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A quadratic Bézier from `start` to `end` bending towards `control`, and its label's box. */
export interface Arc {
  start: Point;
  control: Point;
  end: Point;
  label: Box;
}

export interface RingLayout {
  width: number;
  height: number;
  nodes: Box[];
  /** arcs[i] goes from nodes[i] to nodes[(i + 1) % n]. */
  arcs: Arc[];
}

/** Advance of one monospace character at 12px and 11px. */
const NODE_CHAR = 7.3;
const LABEL_CHAR = 6.7;
export const NODE_HEIGHT = 26;
const LABEL_HEIGHT = 16;
/** Longer class and function names are shortened in the drawing (the full name is its tooltip). */
export const MAX_NODE_CHARS = 40;
export const MAX_LABEL_CHARS = 32;
const PAD = 10;
const GAP = 10;

export function shorten(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function nodeWidth(label: string): number {
  return Math.ceil(shorten(label, MAX_NODE_CHARS).length * NODE_CHAR + 20);
}

function labelWidth(label: string): number {
  return Math.ceil(shorten(label, MAX_LABEL_CHARS).length * LABEL_CHAR + 8);
}

export function overlaps(a: Box, b: Box, margin = 0): boolean {
  return (
    a.x < b.x + b.w + margin &&
    b.x < a.x + a.w + margin &&
    a.y < b.y + b.h + margin &&
    b.y < a.y + a.h + margin
  );
}

/**
 * The classes of a cycle clockwise on an ellipse, from the top (two classes: side by side), each
 * edge an arc bowing outwards with its label (the function creating the edge) beyond its middle.
 * The ellipse grows until no two boxes (classes and labels) touch.
 */
export function ringLayout(classLabels: readonly string[], edgeLabels: readonly string[]): RingLayout {
  const n = classLabels.length;
  const widths = classLabels.map(nodeWidth);
  const labelWidths = edgeLabels.map(labelWidth);
  const widest = Math.max(...widths);
  let best: { nodes: Box[]; arcs: Arc[] } | undefined;
  const first = n === 2 ? Math.PI : -Math.PI / 2;
  for (let step = 0; step <= 80; step++) {
    const rx = (n === 2 ? widest / 2 + 40 : widest * 0.55) + step * 12;
    const ry = 36 + step * 9;
    const centres = classLabels.map((_, i) => {
      const a = first + (2 * Math.PI * i) / n;
      return { x: rx * Math.cos(a), y: ry * Math.sin(a) };
    });
    const nodes = centres.map((c, i) => ({
      x: c.x - widths[i] / 2,
      y: c.y - NODE_HEIGHT / 2,
      w: widths[i],
      h: NODE_HEIGHT,
    }));
    const arcs = centres.map((c, i) =>
      arc(c, centres[(i + 1) % n], nodes[i], nodes[(i + 1) % n], labelWidths[i]),
    );
    best = { nodes, arcs };
    if (!crowded(nodes, arcs)) break;
  }
  return place(best!.nodes, best!.arcs);
}

/** Classes closer than this leave no room to see an arc between them. */
const NODE_GAP = 56;

function crowded(nodes: Box[], arcs: Arc[]): boolean {
  // an arc bending towards a point inside its own class's box has no room to leave it
  const n = nodes.length;
  if (arcs.some((a, i) => contains(nodes[i], a.control) || contains(nodes[(i + 1) % n], a.control)))
    return true;
  const boxes = [...nodes, ...arcs.map((a) => a.label)];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (overlaps(boxes[i], boxes[j], j < nodes.length ? NODE_GAP : GAP)) return true;
  return false;
}

/** The arc from a to b, bowing away from the ring's centre (the origin). */
function arc(a: Point, b: Point, boxA: Box, boxB: Box, labelW: number): Arc {
  const d = { x: b.x - a.x, y: b.y - a.y };
  const length = Math.hypot(d.x, d.y) || 1;
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  // Perpendicular to the chord, on the side away from the centre; for two classes the chord
  // passes through the centre and each direction takes its own side, clockwise.
  let normal = { x: d.y / length, y: -d.x / length };
  if (Math.hypot(mid.x, mid.y) > 1 && normal.x * mid.x + normal.y * mid.y < 0)
    normal = { x: -normal.x, y: -normal.y };
  const bulge = Math.max(24, length * 0.16);
  const control = { x: mid.x + normal.x * bulge * 2, y: mid.y + normal.y * bulge * 2 };
  const start = clip(boxA, control);
  const end = clip(boxB, control);
  const top = {
    x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x,
    y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y,
  };
  const push = Math.abs(normal.x) * (labelW / 2) + Math.abs(normal.y) * (LABEL_HEIGHT / 2) + 4;
  const centre = { x: top.x + normal.x * push, y: top.y + normal.y * push };
  return {
    start,
    control,
    end,
    label: { x: centre.x - labelW / 2, y: centre.y - LABEL_HEIGHT / 2, w: labelW, h: LABEL_HEIGHT },
  };
}

function contains(b: Box, p: Point): boolean {
  return p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;
}

/** Where the segment from the box's centre towards `p` leaves the box. */
function clip(box: Box, p: Point): Point {
  const c = { x: box.x + box.w / 2, y: box.y + box.h / 2 };
  const d = { x: p.x - c.x, y: p.y - c.y };
  const sx = d.x ? box.w / 2 / Math.abs(d.x) : Infinity;
  const sy = d.y ? box.h / 2 / Math.abs(d.y) : Infinity;
  const s = Math.min(sx, sy, 1);
  return { x: c.x + d.x * s, y: c.y + d.y * s };
}

/** Moves everything so the drawing starts at (PAD, PAD), rounded to tenths. */
function place(nodes: Box[], arcs: Arc[]): RingLayout {
  const points: Point[] = [
    ...nodes.flatMap((b) => corners(b)),
    ...arcs.flatMap((a) => [a.start, a.end, curveMid(a), ...corners(a.label)]),
  ];
  const minX = Math.min(...points.map((p) => p.x));
  const minY = Math.min(...points.map((p) => p.y));
  const maxX = Math.max(...points.map((p) => p.x));
  const maxY = Math.max(...points.map((p) => p.y));
  const dx = PAD - minX;
  const dy = PAD - minY;
  const mp = (p: Point): Point => ({ x: round(p.x + dx), y: round(p.y + dy) });
  const mb = (b: Box): Box => ({ ...mp(b), w: b.w, h: b.h });
  return {
    width: Math.ceil(maxX - minX + 2 * PAD),
    height: Math.ceil(maxY - minY + 2 * PAD),
    nodes: nodes.map(mb),
    arcs: arcs.map((a) => ({
      start: mp(a.start),
      control: mp(a.control),
      end: mp(a.end),
      label: mb(a.label),
    })),
  };
}

function corners(b: Box): Point[] {
  return [
    { x: b.x, y: b.y },
    { x: b.x + b.w, y: b.y + b.h },
  ];
}

function curveMid(a: Arc): Point {
  return {
    x: 0.25 * a.start.x + 0.5 * a.control.x + 0.25 * a.end.x,
    y: 0.25 * a.start.y + 0.5 * a.control.y + 0.25 * a.end.y,
  };
}

export interface ColumnsLayout {
  width: number;
  height: number;
  /** columns[i][j]: the box of the j-th class of column i. */
  columns: Box[][];
}

const COLUMN_GAP = 70;
const ROW_GAP = 6;

/**
 * Columns of boxes, left to right, each centred vertically on the tallest: a neighbourhood
 * reads from the classes held before the centre to those taken after it.
 */
export function columnsLayout(columns: readonly (readonly string[])[], extraChars = 0): ColumnsLayout {
  const widths = columns.map((col) => Math.max(0, ...col.map((l) => nodeWidth(l) + extraChars * NODE_CHAR)));
  const heights = columns.map((col) => col.length * NODE_HEIGHT + Math.max(0, col.length - 1) * ROW_GAP);
  const height = Math.max(NODE_HEIGHT, ...heights) + 2 * PAD;
  let x = PAD;
  const boxes = columns.map((col, i) => {
    const top = (height - heights[i]) / 2;
    const placed = col.map((_, j) => ({
      x: round(x),
      y: round(top + j * (NODE_HEIGHT + ROW_GAP)),
      w: Math.ceil(widths[i]),
      h: NODE_HEIGHT,
    }));
    x += widths[i] + COLUMN_GAP;
    return placed;
  });
  return { width: Math.ceil(x - COLUMN_GAP + PAD), height: Math.ceil(height), columns: boxes };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
