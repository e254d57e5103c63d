// Scraping a daemon's --metrics address over real HTTP, and reading the Prometheus text format.

/** Metric family → `label="value",…` (as exposed, "" when unlabelled) → value. Histograms keep their _bucket/_sum/_count names. */
export type Scrape = Record<string, Record<string, number>>;

export function parseMetrics(text: string): Scrape {
  const out: Scrape = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`metrics: cannot read the line ${JSON.stringify(line)}`);
    (out[m[1]!] ??= {})[m[2] ?? ''] = Number(m[3]);
  }
  return out;
}

export async function scrape(port: number, host = '127.0.0.1'): Promise<Scrape> {
  const res = await fetch(`http://${host}:${port}/metrics`);
  if (res.status !== 200) throw new Error(`metrics: /metrics answered HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

export async function getHealth(port: number, host = '127.0.0.1'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://${host}:${port}/health`);
  return { status: res.status, body: await res.json() };
}
