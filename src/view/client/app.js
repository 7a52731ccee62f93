// @ts-check
// The live view's page script (served by the agent, run in the browser): receives the
// agent's server-sent events, lays out each machine definition once with elkjs, draws
// one statechart per machine with its active states highlighted, and keeps a bounded
// scrolling event log. Everything from the agent is shown as text, never as HTML.
/* global document, EventSource */

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Smallest scale a statechart is drawn at before its card scrolls. */
const MIN_DIAGRAM_SCALE = 0.8;
const MAX_LOG_ROWS = 500;
const FONT = '12px system-ui, "DejaVu Sans", sans-serif';

/** @typedef {{ id: string, key: string, type: string, initial?: string, children: GraphNode[] }} GraphNode */
/** @typedef {{ from: string, to: string, label: string }} GraphEdge */
/** @typedef {{ machine: string, root: GraphNode, edges: GraphEdge[], omitted?: string }} Graph */
/** @typedef {{ id: string, label: string, definition: string, active: string[], state: string, status: string, context: string, steps: number }} Machine */
/** @typedef {{ seq: number, at: number, machine: string, label: string, event: string, detail: string, state: string, changed: boolean }} LogEntry */
/** @typedef {{ x?: number, y?: number }} Point */
/** @typedef {{ text: string, x?: number, y?: number, width: number, height: number }} ElkLabel */
/** @typedef {{ id: string, x?: number, y?: number, width?: number, height?: number, labels?: ElkLabel[], children?: ElkNode[], edges?: ElkEdge[], layoutOptions?: Record<string, string> }} ElkNode */
/** @typedef {{ startPoint: Point, endPoint: Point, bendPoints?: Point[] }} ElkSection */
/** @typedef {{ id: string, sources: string[], targets: string[], labels?: ElkLabel[], sections?: ElkSection[] }} ElkEdge */

/** elkjs's browser bundle, loaded before this script, defines the global `ELK`. */
const ELK = /** @type {{ new(): { layout(graph: ElkNode): Promise<ElkNode> } }} */ (/** @type {any} */ (globalThis).ELK);
const elk = new ELK();
/** @type {Map<string, Graph>} */
const definitions = new Map();
/** @type {Map<string, Promise<ElkNode>>} */
const layouts = new Map();
/** @type {Map<string, { machine: Machine, card: HTMLElement, drawn: boolean }>} */
const cards = new Map();
let events = 0;
let untracked = 0;

const machinesEl = /** @type {HTMLElement} */ (document.getElementById('machines'));
const logEl = /** @type {HTMLElement} */ (document.getElementById('log'));
const connectionEl = /** @type {HTMLElement} */ (document.getElementById('connection'));
const countsEl = /** @type {HTMLElement} */ (document.getElementById('counts'));

const measureContext = document.createElement('canvas').getContext('2d');
/** @param {string} text */
function textWidth(text) {
  if (!measureContext) return text.length * 7;
  measureContext.font = FONT;
  return Math.ceil(measureContext.measureText(text).width);
}

/**
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {Element} [parent]
 * @returns {SVGElementTagNameMap[K]}
 */
function svg(tag, attrs = {}, parent) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function html(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Height of one line of a transition label, px. */
const LABEL_LINE_HEIGHT = 14;

/**
 * A transition label on up to three lines — event, `[guard]`, `/ actions` — so long
 * labels stretch the chart down rather than across. @param {string} text
 */
function labelLines(text) {
  return text.replace(/ \[/g, '\n[').replace(/ \/ /g, '\n/ ').split('\n');
}

/** The ELK input for a definition: states as (nested) nodes, transitions as labelled edges. @param {Graph} graph @returns {ElkNode} */
function elkGraph(graph) {
  /** @type {ElkEdge[]} */
  const edges = [];
  /** @param {GraphNode} node @returns {ElkNode[]} */
  const childrenOf = (node) => {
    /** @type {ElkNode[]} */
    const nodes = [];
    if (node.initial !== undefined) {
      const marker = `${node.id}::initial`;
      nodes.push({ id: marker, width: 10, height: 10 });
      edges.push({ id: `${marker}>`, sources: [marker], targets: [node.initial] });
    }
    for (const child of node.children) {
      const labelWidth = textWidth(child.key) + 24;
      if (child.children.length === 0) {
        nodes.push({ id: child.id, width: Math.max(64, labelWidth), height: 30 });
      } else {
        nodes.push({
          id: child.id,
          children: childrenOf(child),
          layoutOptions: {
            'elk.padding': '[top=30,left=14,bottom=14,right=14]',
            'elk.nodeSize.constraints': 'MINIMUM_SIZE',
            'elk.nodeSize.minimum': `(${labelWidth}, 40)`,
          },
        });
      }
    }
    return nodes;
  };
  const children = childrenOf(graph.root);
  graph.edges.forEach((e, i) => {
    const lines = labelLines(e.label);
    const width = Math.max(...lines.map(textWidth)) + 6;
    edges.push({ id: `e${i}`, sources: [e.from], targets: [e.to], labels: [{ text: e.label, width, height: LABEL_LINE_HEIGHT * lines.length + 2 }] });
  });
  return {
    id: '',
    children,
    edges,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
      // Network-simplex placement and tight edge spacing halve the width of the syncer's
      // chart (22 labelled transitions) against the defaults.
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.edgeLabels.inlining': 'true',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '6',
      'elk.layered.spacing.edgeNodeBetweenLayers': '8',
      'elk.spacing.edgeEdge': '6',
      'elk.spacing.edgeNode': '8',
    },
  };
}

/** @param {string} id */
function layoutOf(id) {
  let layout = layouts.get(id);
  const graph = definitions.get(id);
  if (!layout && graph) {
    layout = elk.layout(elkGraph(graph));
    layouts.set(id, layout);
  }
  return layout;
}

/** Draws a laid-out definition as SVG. @param {ElkNode} layout @param {Graph} graph @returns {SVGSVGElement} */
function drawDiagram(layout, graph) {
  /** @type {Map<string, GraphNode>} */
  const states = new Map();
  /** @param {GraphNode} n */
  const index = (n) => {
    states.set(n.id, n);
    n.children.forEach(index);
  };
  index(graph.root);
  const width = Math.ceil(layout.width ?? 100);
  const height = Math.ceil(layout.height ?? 60);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `statechart of ${graph.machine}` });
  // Fit the card's width, but never shrink below 80 % of the natural size: past that the
  // labels are unreadable, so a wide chart scrolls sideways inside its card instead.
  root.style.minWidth = `${Math.round(width * MIN_DIAGRAM_SCALE)}px`;
  const defs = svg('defs', {}, root);
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
  svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }, marker);
  const nodesLayer = svg('g', { class: 'states' }, root);
  const edgesLayer = svg('g', { class: 'edges' }, root);
  /** @param {ElkNode} node */
  const drawNode = (node) => {
    const x = node.x ?? 0;
    const y = node.y ?? 0;
    const w = node.width ?? 0;
    const h = node.height ?? 0;
    if (node.id.endsWith('::initial')) {
      svg('circle', { cx: x + w / 2, cy: y + h / 2, r: w / 2, class: 'initial' }, nodesLayer);
      return;
    }
    const state = states.get(node.id);
    const compound = (node.children ?? []).length > 0;
    const g = svg('g', { class: `state ${compound ? 'compound' : 'atomic'} ${state?.type === 'final' ? 'final' : ''}`.trim(), 'data-state-id': node.id }, nodesLayer);
    svg('rect', { x, y, width: w, height: h, rx: 8, ry: 8 }, g);
    if (state?.type === 'final') svg('rect', { x: x + 3, y: y + 3, width: w - 6, height: h - 6, rx: 6, ry: 6, class: 'inner' }, g);
    const label = svg('text', compound ? { x: x + 10, y: y + 18 } : { x: x + w / 2, y: y + h / 2 + 4, 'text-anchor': 'middle' }, g);
    label.textContent = state?.key ?? node.id;
    (node.children ?? []).forEach(drawNode);
  };
  (layout.children ?? []).forEach(drawNode);
  for (const edge of layout.edges ?? []) {
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x ?? 0} ${p.y ?? 0}`).join(' ');
      svg('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }, edgesLayer);
    }
    for (const l of edge.labels ?? []) {
      const t = svg('text', { x: (l.x ?? 0) + 3, y: (l.y ?? 0) + 11, class: 'edge-label' }, edgesLayer);
      labelLines(l.text ?? '').forEach((line, i) => {
        const span = svg('tspan', { x: (l.x ?? 0) + 3, dy: i === 0 ? 0 : LABEL_LINE_HEIGHT }, t);
        span.textContent = line;
      });
    }
  }
  return root;
}

/** Marks the machine's active states in its card. @param {{ machine: Machine, card: HTMLElement }} entry */
function highlight(entry) {
  const { machine, card } = entry;
  card.dataset.state = machine.state;
  card.dataset.status = machine.status;
  const stateEl = card.querySelector('.current');
  if (stateEl) stateEl.textContent = machine.status === 'active' ? machine.state : `${machine.state} (${machine.status})`;
  const contextEl = card.querySelector('pre');
  if (contextEl) contextEl.textContent = machine.context;
  const active = new Set(machine.active);
  const leaves = new Set(machine.state.split(', '));
  for (const g of card.querySelectorAll('g.state')) {
    const id = g.getAttribute('data-state-id') ?? '';
    g.classList.toggle('active', active.has(id));
    g.classList.toggle('leaf', leaves.has(id));
  }
}

/** @param {Machine} machine */
function upsertMachine(machine) {
  let entry = cards.get(machine.id);
  if (!entry) {
    const card = html('section', 'machine');
    card.dataset.machine = machine.id;
    card.dataset.label = machine.label;
    const head = html('header');
    head.append(html('h3', '', machine.label), html('span', 'current', ''));
    const diagram = html('div', 'diagram');
    const details = html('details');
    details.append(html('summary', '', 'context'), html('pre'));
    card.append(head, diagram, details);
    machinesEl.appendChild(card);
    entry = { machine, card, drawn: false };
    cards.set(machine.id, entry);
    void draw(entry);
  }
  entry.machine = machine;
  highlight(entry);
  updateCounts();
}

/** @param {{ machine: Machine, card: HTMLElement, drawn: boolean }} entry */
async function draw(entry) {
  const graph = definitions.get(entry.machine.definition);
  const diagram = entry.card.querySelector('.diagram');
  if (!graph || !diagram) return;
  if (graph.omitted) {
    diagram.textContent = graph.omitted;
    return;
  }
  try {
    const layout = await layoutOf(entry.machine.definition);
    if (!layout || cards.get(entry.machine.id) !== entry) return;
    diagram.replaceChildren(drawDiagram(layout, graph));
    entry.drawn = true;
    entry.card.dataset.drawn = 'true';
    highlight(entry);
  } catch (err) {
    diagram.textContent = `layout failed: ${String(err)}`;
  }
}

/** xstate's internal event names, as the diagrams label them. @param {string} type */
function eventName(type) {
  if (type === 'xstate.init') return 'start';
  if (type.startsWith('xstate.after.')) return `after ${type.split('.')[2] ?? ''}`;
  if (type.startsWith('xstate.done.actor.')) return 'invoked actor done';
  if (type.startsWith('xstate.error.actor.')) return 'invoked actor error';
  return type;
}

/** @param {LogEntry} entry */
function appendLog(entry) {
  events++;
  const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 8;
  const row = html('li', entry.changed ? 'changed' : '');
  row.dataset.seq = String(entry.seq);
  const time = new Date(entry.at).toISOString().slice(11, 23);
  row.append(html('time', '', time), html('span', 'who', entry.label), html('span', 'event', eventName(entry.event)), html('span', 'to', `→ ${entry.state}`));
  row.title = `${entry.event}\n${entry.detail}`;
  logEl.appendChild(row);
  while (logEl.childElementCount > MAX_LOG_ROWS) logEl.firstElementChild?.remove();
  if (atBottom) logEl.scrollTop = logEl.scrollHeight;
  updateCounts();
}

function updateCounts() {
  countsEl.textContent = `${cards.size} machine${cards.size === 1 ? '' : 's'} · ${events} events${untracked ? ` · ${untracked} not shown (limit)` : ''}`;
}

/** @param {string} state */
function setConnection(state) {
  document.body.dataset.connection = state;
  connectionEl.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ agent not reachable — retrying' : 'connecting…';
}

/** @param {MessageEvent} e */
function parse(e) {
  return JSON.parse(String(e.data));
}

const source = new EventSource('events');
source.addEventListener('open', () => setConnection('live'));
source.addEventListener('error', () => setConnection('reconnecting'));
source.addEventListener('hello', (e) => {
  const hello = parse(/** @type {MessageEvent} */ (e));
  document.title = hello.title;
  definitions.clear();
  for (const [id, graph] of Object.entries(hello.definitions)) definitions.set(id, graph);
  cards.clear();
  machinesEl.replaceChildren();
  logEl.replaceChildren();
  events = 0;
  untracked = hello.untracked;
  for (const machine of hello.machines) upsertMachine(machine);
  for (const entry of hello.log) appendLog(entry);
  updateCounts();
  setConnection('live');
});
source.addEventListener('definition', (e) => {
  const { id, graph } = parse(/** @type {MessageEvent} */ (e));
  definitions.set(id, graph);
  layouts.delete(id);
});
source.addEventListener('machine', (e) => upsertMachine(parse(/** @type {MessageEvent} */ (e)).machine));
source.addEventListener('forget', (e) => {
  const { id } = parse(/** @type {MessageEvent} */ (e));
  cards.get(id)?.card.remove();
  cards.delete(id);
  updateCounts();
});
source.addEventListener('log', (e) => appendLog(parse(/** @type {MessageEvent} */ (e)).entry));
source.addEventListener('stats', (e) => {
  untracked = parse(/** @type {MessageEvent} */ (e)).untracked;
  updateCounts();
});
