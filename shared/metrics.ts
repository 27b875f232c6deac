/**
 * A small Prometheus registry, one per isolate.
 *
 * Workers isolates are many and short-lived, so these numbers describe the isolate that answers the scrape;
 * under workerd (self-hosted) one process serves every request and the figures are the process totals.
 */

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Histogram {
  /** counts[i]: observations in (bucket[i-1], bucket[i]]; the last slot is above every bucket. */
  counts: number[];
  sum: number;
  count: number;
}

function record(h: Histogram, seconds: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
  (h.counts[i] as number)++;
  h.sum += seconds;
  h.count++;
}

export class MetricsRegistry {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly histograms = new Map<string, { help: string; values: Map<string, Histogram> }>();
  private readonly gauges = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly startedAt = Date.now();

  constructor(private readonly service: string) {}

  inc(name: string, help: string, labels: Record<string, string>, by = 1): void {
    this.incKey(name, help, labelText(labels), by);
  }

  private incKey(name: string, help: string, key: string, by: number): void {
    let metric = this.counters.get(name);
    if (!metric) {
      metric = { help, values: new Map() };
      this.counters.set(name, metric);
    }
    metric.values.set(key, (metric.values.get(key) ?? 0) + by);
  }

  /** Sets a gauge to its latest value (e.g. whether a dependency answered the last readiness check). */
  setGauge(name: string, help: string, labels: Record<string, string>, value: number): void {
    let metric = this.gauges.get(name);
    if (!metric) {
      metric = { help, values: new Map() };
      this.gauges.set(name, metric);
    }
    metric.values.set(labelText(labels), value);
  }

  observe(name: string, help: string, labels: Record<string, string>, seconds: number): void {
    record(this.histogramFor(name, help, labelText(labels)), seconds);
  }

  private histogramFor(name: string, help: string, key: string): Histogram {
    let metric = this.histograms.get(name);
    if (!metric) {
      metric = { help, values: new Map() };
      this.histograms.set(name, metric);
    }
    let h = metric.values.get(key);
    if (!h) {
      h = { counts: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      metric.values.set(key, h);
    }
    return h;
  }

  /**
   * Records one finished HTTP request. `route` is the route pattern, never the raw path, to bound cardinality.
   * This runs on every request, so the series objects are looked up by a plain string key and reused.
   */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const counterLabels = labelText({ service: this.service, method, route, status: String(status) });
      const histogram = this.histogramFor(
        'http_request_duration_seconds',
        'HTTP request latency in seconds.',
        labelText({ service: this.service, method, route }),
      );
      series = { counterLabels, histogram };
      this.requestSeries.set(key, series);
    }
    this.incKey('http_requests_total', 'HTTP requests by route and status.', series.counterLabels, 1);
    record(series.histogram, seconds);
  }

  private readonly requestSeries = new Map<string, { counterLabels: string; histogram: Histogram }>();

  render(): string {
    const lines: string[] = [];
    lines.push('# HELP process_start_time_seconds Start time of this isolate or process.');
    lines.push('# TYPE process_start_time_seconds gauge');
    lines.push(`process_start_time_seconds${labelText({ service: this.service })} ${this.startedAt / 1000}`);
    for (const [name, metric] of this.gauges) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} gauge`);
      for (const [labels, value] of metric.values) lines.push(`${name}${labels} ${value}`);
    }
    for (const [name, metric] of this.counters) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} counter`);
      for (const [labels, value] of metric.values) lines.push(`${name}${labels} ${value}`);
    }
    for (const [name, metric] of this.histograms) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} histogram`);
      for (const [labels, h] of metric.values) {
        const inner = labels.slice(1, -1);
        const sep = inner ? ',' : '';
        // Buckets are stored per interval and made cumulative here, so recording touches one slot.
        let cumulative = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += h.counts[i] as number;
          lines.push(`${name}_bucket{${inner}${sep}le="${le}"} ${cumulative}`);
        });
        lines.push(`${name}_bucket{${inner}${sep}le="+Inf"} ${h.count}`);
        lines.push(`${name}_sum${labels} ${h.sum}`, `${name}_count${labels} ${h.count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
