// Span helpers shared by the instrumented components: start a span as a child of the
// active context, run a function inside it, end it with the outcome. With no SDK the
// API's tracer returns a non-recording span with an invalid context: then the context
// is not touched (no allocation beyond the span itself).
import { context, isSpanContextValid, SpanStatusCode, trace, type Attributes, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';
import { ATTR } from './names.js';

export function startSpan(tracer: Tracer, name: string, kind: SpanKind, attributes: Attributes): Span {
  return tracer.startSpan(name, { kind, attributes });
}

/** Calls `fn` with `span` as the active span when it can carry children, directly otherwise. */
export function withSpan<T>(span: Span, fn: () => T): T {
  if (!isSpanContextValid(span.spanContext())) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Ends `span` as a success. */
export function endOk(span: Span): void {
  span.setAttribute(ATTR.outcome, 'success');
  span.setStatus({ code: SpanStatusCode.OK });
  span.end();
}

/** Ends `span` as a failure: the error recorded on it, `outcome` and `error.type` set. */
export function endFailed(span: Span, err: unknown, type: string, outcome = 'failure'): void {
  span.setAttribute(ATTR.outcome, outcome);
  span.setAttribute(ATTR.errorType, type);
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}
