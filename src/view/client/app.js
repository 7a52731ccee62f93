// @ts-check
// The live view's page script (served by the agent, run in the browser): receives the
// agent's server-sent events, lays out each machine definition once with elkjs and
// shares that drawing with every card of the machine, highlights each card's active
// states (a state left within milliseconds keeps a short trail), and keeps a bounded
// event log with markers, filters, pause and a detail panel. Everything from the agent
// is shown as text, never as HTML.
/* global document, EventSource, Element, Option, CSS, setTimeout, clearTimeout, setInterval */

/** @typedef {import('../protocol.js').StateGraph} Graph */
/** @typedef {import('../protocol.js').StateGraphNode} GraphNode */
/** @typedef {import('../protocol.js').MachineView} Machine */
/** @typedef {import('../protocol.js').LogEntry} LogEntry */
/** @typedef {import('../protocol.js').Hello} Hello */
/** @typedef {{ x?: number, y?: number }} Point */
/** @typedef {{ text: string, x?: number, y?: number, width: number, height: number }} ElkLabel */
/** @typedef {{ id: string, x?: number, y?: number, width?: number, height?: number, labels?: ElkLabel[], children?: ElkNode[], edges?: ElkEdge[], layoutOptions?: Record<string, string> }} ElkNode */
/** @typedef {{ startPoint: Point, endPoint: Point, bendPoints?: Point[] }} ElkSection */
/** @typedef {{ id: string, sources: string[], targets: string[], labels?: ElkLabel[], sections?: ElkSection[] }} ElkEdge */
/** @typedef {{ machine: Machine, card: HTMLElement, drawn: boolean, trail: Map<string, ReturnType<typeof setTimeout>>, leaves: Set<string> }} Card */

const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_LOG_ROWS = 500;
/** Distinct event types offered in the event filter. */
const MAX_EVENT_TYPES = 100;
/** How long a state the machine has left stays marked, ms: a 7 ms `syncing` is still seen. */
const TRAIL_MS = 1_500;
/** Past this many machines the cards start compact (the button switches). */
const COMPACT_FROM = 12;
const FONT = '12px system-ui, "DejaVu Sans", sans-serif';

/** elkjs's browser bundle, loaded before this script, defines the global `ELK`. */
const ELK = /** @type {{ new(): { layout(graph: ElkNode): Promise<ElkNode> } }} */ (/** @type {any} */ (globalThis).ELK);
const elk = new ELK();
/** @type {Map<string, Graph>} */
const definitions = new Map();
/** One drawing per definition, laid out once and cloned into every card that runs it. @type {Map<string, Promise<SVGSVGElement>>} */
const drawings = new Map();
/** @type {Map<string, Card>} */
const cards = new Map();
/** @type {WeakMap<Element, LogEntry>} */
const rowEntries = new WeakMap();
/** @type {LogEntry[]} */
let pending = [];
let paused = false;
let compactChosen = false;
let events = 0;
let untracked = 0;
/** The agent's clock minus this browser's, ms: deadlines are shown relative to the agent's now. */
let clockOffset = 0;

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const machinesEl = byId('machines');
const logEl = byId('log');
const connectionEl = byId('connection');
const countsEl = byId('counts');
const bannerEl = byId('banner');
const agentFilter = /** @type {HTMLSelectElement} */ (byId('filter-agent'));
const eventFilter = /** @type {HTMLSelectElement} */ (byId('filter-event'));
const pauseButton = byId('pause');
const compactButton = byId('compact');
const detailEl = byId('detail');
const detailBody = byId('detail-body');

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
  // Scaled to the card's width (CSS): the whole chart, and so the active state, is always in view.
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `statechart of ${graph.machine}`, preserveAspectRatio: 'xMidYMin meet' });
  root.style.maxWidth = `${width}px`;
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

/** The drawing of definition `id`, laid out and drawn once for every card. @param {string} id */
function drawingOf(id) {
  let drawing = drawings.get(id);
  const graph = definitions.get(id);
  if (!drawing && graph) {
    drawing = elk.layout(elkGraph(graph)).then((layout) => drawDiagram(layout, graph));
    drawings.set(id, drawing);
  }
  return drawing;
}

// --- times --------------------------------------------------------------------------

/** ms as `850 ms`, `3.2 s`, `4 min 10 s`. @param {number} ms */
function duration(ms) {
  const a = Math.abs(ms);
  if (a < 1_000) return `${Math.round(a)} ms`;
  if (a < 60_000) return `${(a / 1_000).toFixed(1)} s`;
  return `${Math.floor(a / 60_000)} min ${Math.round((a % 60_000) / 1_000)} s`;
}

/** A time on the agent's clock as `in 3.2 s` / `3.2 s ago`. @param {number} at */
function relative(at) {
  const delta = at - (Date.now() + clockOffset);
  return delta >= 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`;
}

/** @param {number} now the agent's clock */
function syncClock(now) {
  if (typeof now === 'number' && Number.isFinite(now)) clockOffset = now - Date.now();
}

// --- context ------------------------------------------------------------------------

/** Keys whose numbers are times on the agent's clock, and keys whose numbers are durations. */
const TIME_KEY = /(deadline|At|Since)$/;
const DURATION_KEY = /(Ms|interval|Interval|Timeout|timeout)$/;

/** @param {string} key @param {unknown} value */
function formatValue(key, value) {
  if (typeof value === 'number' && TIME_KEY.test(key)) return relative(value);
  if (typeof value === 'number' && DURATION_KEY.test(key)) return duration(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' · ');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The context as rows: top-level keys, with a nested object's keys lifted one level (the
 * environment's `front`, `servers`), times relative to now and durations in units.
 * A cut preview (not valid JSON) is shown as it is. @param {string} context
 * @returns {[string, string, unknown][] | undefined}
 */
function contextRows(context) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(context);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  /** @type {[string, string, unknown][]} */
  const rows = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) rows.push([k, formatValue(k, v), v]);
    } else rows.push([key, formatValue(key, value), value]);
  }
  return rows;
}

/** @param {Card} entry */
function renderContext(entry) {
  const dl = entry.card.querySelector('dl.context');
  const pre = entry.card.querySelector('details pre');
  if (pre) pre.textContent = entry.machine.context;
  if (!dl) return;
  const rows = contextRows(entry.machine.context);
  dl.replaceChildren();
  if (!rows) return;
  for (const [key, text] of rows) {
    const dd = html('dd', '', text);
    dd.dataset.key = key;
    dl.append(html('dt', '', key), dd);
  }
}

// --- cards --------------------------------------------------------------------------

/** Marks the machine's active states in its card; a leaf just left keeps a trail for TRAIL_MS. @param {Card} entry */
function highlight(entry) {
  const { machine, card } = entry;
  card.dataset.state = machine.state;
  card.dataset.status = machine.status;
  const stateEl = card.querySelector('.current');
  if (stateEl) stateEl.textContent = machine.status === 'active' ? machine.state : `${machine.state} (${machine.status})`;
  renderContext(entry);
  const active = new Set(machine.active);
  const leaves = new Set(machine.state.split(', ').filter((s) => s !== ''));
  for (const left of entry.leaves) {
    if (leaves.has(left)) continue;
    clearTimeout(entry.trail.get(left));
    entry.trail.set(
      left,
      setTimeout(() => {
        entry.trail.delete(left);
        card.querySelector(`g.state[data-state-id="${CSS.escape(left)}"]`)?.classList.remove('trail');
      }, TRAIL_MS),
    );
  }
  entry.leaves = leaves;
  for (const g of card.querySelectorAll('g.state')) {
    const id = g.getAttribute('data-state-id') ?? '';
    g.classList.toggle('active', active.has(id));
    g.classList.toggle('leaf', leaves.has(id));
    g.classList.toggle('trail', entry.trail.has(id) && !leaves.has(id));
  }
}

/** @param {HTMLSelectElement} select @param {string} group */
function addOption(select, group) {
  if ([...select.options].some((o) => o.value === group)) return;
  select.append(new Option(group, group));
}

/** @param {Machine} machine */
function upsertMachine(machine) {
  let entry = cards.get(machine.id);
  if (!entry) {
    const card = html('section', 'machine');
    card.dataset.machine = machine.id;
    card.dataset.label = machine.label;
    card.dataset.group = machine.group;
    card.dataset.kind = machine.machine;
    const head = html('header');
    head.append(html('h3', '', machine.label), html('span', 'current', ''));
    const diagram = html('div', 'diagram placeholder', 'laying out the statechart…');
    const details = html('details');
    details.append(html('summary', '', 'context (raw)'), html('pre'));
    card.append(head, html('dl', 'context'), diagram, details);
    machinesEl.appendChild(card);
    entry = { machine, card, drawn: false, trail: new Map(), leaves: new Set() };
    cards.set(machine.id, entry);
    addOption(agentFilter, machine.group);
    applyCardFilter(card);
    void draw(entry);
    if (!compactChosen) setCompact(cards.size >= COMPACT_FROM);
  }
  entry.machine = machine;
  highlight(entry);
  updateCounts();
}

/** @param {Card} entry */
async function draw(entry) {
  const graph = definitions.get(entry.machine.definition);
  const diagram = entry.card.querySelector('.diagram');
  if (!graph || !diagram) return;
  if (graph.omitted) {
    diagram.textContent = graph.omitted;
    diagram.classList.remove('placeholder');
    return;
  }
  try {
    const drawing = await drawingOf(entry.machine.definition);
    if (!drawing || cards.get(entry.machine.id) !== entry) return;
    diagram.replaceChildren(/** @type {SVGSVGElement} */ (drawing.cloneNode(true)));
    diagram.classList.remove('placeholder');
    entry.drawn = true;
    entry.card.dataset.drawn = 'true';
    highlight(entry);
  } catch (err) {
    diagram.textContent = `layout failed: ${String(err)}`;
  }
}

/** @param {boolean} on */
function setCompact(on) {
  document.body.classList.toggle('compact', on);
  compactButton.setAttribute('aria-pressed', String(on));
  compactButton.textContent = on ? 'full cards' : 'compact cards';
}

/** @param {HTMLElement} card */
function applyCardFilter(card) {
  card.hidden = agentFilter.value !== '' && card.dataset.group !== agentFilter.value;
}

// --- the log ------------------------------------------------------------------------

/** xstate's internal event names, as the diagrams label them. @param {string} type */
function eventName(type) {
  if (type === 'xstate.init') return 'start';
  if (type.startsWith('xstate.after.')) return `after ${type.split('.')[2] ?? ''}`;
  if (type.startsWith('xstate.done.actor.')) return 'invoked actor done';
  if (type.startsWith('xstate.error.actor.')) return 'invoked actor error';
  return type;
}

/** @param {string} label */
function groupOfLabel(label) {
  return label.split(' › ')[0] ?? label;
}

/** @param {HTMLElement} row */
function applyRowFilter(row) {
  if (row.classList.contains('marker')) return; // phases show whatever the filter
  const agent = agentFilter.value;
  const event = eventFilter.value;
  row.hidden = (agent !== '' && row.dataset.group !== agent) || (event !== '' && row.dataset.event !== event);
}

/** @param {LogEntry} entry */
function appendLog(entry) {
  events++;
  if (paused) {
    pending.push(entry);
    if (pending.length > MAX_LOG_ROWS) pending = pending.slice(-MAX_LOG_ROWS);
    updateCounts();
    return;
  }
  writeRow(entry);
  updateCounts();
}

/** @param {LogEntry} entry */
function writeRow(entry) {
  const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 8;
  const time = html('time', '', new Date(entry.at).toISOString().slice(11, 23));
  let row;
  if (entry.kind === 'marker') {
    row = html('li', 'marker');
    row.append(time, html('span', 'phase', entry.event));
    setBanner(entry.event);
  } else {
    row = html('li', entry.changed ? 'changed' : '');
    const name = eventName(entry.event);
    row.dataset.group = groupOfLabel(entry.label);
    row.dataset.event = name;
    row.append(time, html('span', 'who', entry.label), html('span', 'event', name), html('span', 'to', `→ ${entry.state}`));
    if (eventFilter.options.length <= MAX_EVENT_TYPES) addOption(eventFilter, name);
    applyRowFilter(row);
  }
  row.dataset.seq = String(entry.seq);
  row.tabIndex = 0;
  rowEntries.set(row, entry);
  logEl.appendChild(row);
  while (logEl.childElementCount > MAX_LOG_ROWS) logEl.firstElementChild?.remove();
  if (atBottom) logEl.scrollTop = logEl.scrollHeight;
}

/** @param {LogEntry} entry */
function showDetail(entry) {
  let payload = entry.detail;
  try {
    payload = JSON.stringify(JSON.parse(entry.detail), null, 2);
  } catch {
    /* a cut preview: shown as it is */
  }
  const lines = entry.kind === 'marker'
    ? [`phase: ${entry.event}`, `at: ${new Date(entry.at).toISOString()} (${relative(entry.at)})`]
    : [`machine: ${entry.label}`, `event: ${entry.event}`, `state after: ${entry.state}${entry.changed ? '' : ' (unchanged)'}`, `at: ${new Date(entry.at).toISOString()} (${relative(entry.at)})`, '', payload];
  detailBody.textContent = lines.join('\n');
  detailEl.hidden = false;
}

/** @param {string} text */
function setBanner(text) {
  bannerEl.textContent = text;
  bannerEl.hidden = text === '';
}

function updateCounts() {
  const waiting = paused ? ` · log paused (${pending.length} new)` : '';
  countsEl.textContent = `${cards.size} machine${cards.size === 1 ? '' : 's'} · ${events} events${untracked ? ` · ${untracked} not shown (limit)` : ''}${waiting}`;
}

/** @param {string} state */
function setConnection(state) {
  document.body.dataset.connection = state;
  connectionEl.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ agent not reachable — retrying' : 'connecting…';
}

// --- controls -----------------------------------------------------------------------

pauseButton.addEventListener('click', () => {
  paused = !paused;
  pauseButton.setAttribute('aria-pressed', String(paused));
  pauseButton.textContent = paused ? 'resume log' : 'pause log';
  if (!paused) {
    for (const entry of pending) writeRow(entry);
    pending = [];
  }
  updateCounts();
});
compactButton.addEventListener('click', () => {
  compactChosen = true;
  setCompact(!document.body.classList.contains('compact'));
});
for (const select of [agentFilter, eventFilter]) {
  select.addEventListener('change', () => {
    for (const row of logEl.children) applyRowFilter(/** @type {HTMLElement} */ (row));
    for (const { card } of cards.values()) applyCardFilter(card);
  });
}
logEl.addEventListener('click', (e) => {
  const row = /** @type {Element | null} */ (e.target instanceof Element ? e.target.closest('li') : null);
  const entry = row ? rowEntries.get(row) : undefined;
  if (entry) showDetail(entry);
});
byId('detail-close').addEventListener('click', () => (detailEl.hidden = true));
// Relative times move on with the clock.
setInterval(() => {
  for (const entry of cards.values()) renderContext(entry);
}, 1_000);

// --- the stream ---------------------------------------------------------------------

/** @param {MessageEvent} e */
function parse(e) {
  return JSON.parse(String(e.data));
}

const source = new EventSource('events');
source.addEventListener('open', () => setConnection('live'));
source.addEventListener('error', () => setConnection('reconnecting'));
source.addEventListener('hello', (e) => {
  const hello = /** @type {Hello} */ (parse(/** @type {MessageEvent} */ (e)));
  document.title = hello.title;
  syncClock(hello.now);
  definitions.clear();
  drawings.clear();
  for (const [id, graph] of Object.entries(hello.definitions)) definitions.set(id, graph);
  cards.clear();
  machinesEl.replaceChildren();
  logEl.replaceChildren();
  pending = [];
  events = 0;
  untracked = hello.untracked;
  setBanner(hello.banner);
  for (const machine of hello.machines) upsertMachine(machine);
  for (const entry of hello.log) appendLog(entry);
  setBanner(hello.banner);
  updateCounts();
  setConnection('live');
});
source.addEventListener('definition', (e) => {
  const { id, graph } = parse(/** @type {MessageEvent} */ (e));
  definitions.set(id, graph);
  drawings.delete(id);
});
source.addEventListener('machine', (e) => {
  const message = parse(/** @type {MessageEvent} */ (e));
  syncClock(message.now);
  upsertMachine(message.machine);
});
source.addEventListener('forget', (e) => {
  const { id } = parse(/** @type {MessageEvent} */ (e));
  const entry = cards.get(id);
  if (entry) for (const t of entry.trail.values()) clearTimeout(t);
  entry?.card.remove();
  cards.delete(id);
  updateCounts();
});
source.addEventListener('log', (e) => appendLog(parse(/** @type {MessageEvent} */ (e)).entry));
source.addEventListener('stats', (e) => {
  untracked = parse(/** @type {MessageEvent} */ (e)).untracked;
  updateCounts();
});
