/**
 * Deliveries (successful and failed, as bars) and the median response time (a line on its own
 * axis) over time, drawn by uPlot. The same figures are in a table under the chart, for screen
 * readers and for reading exact values.
 */
// Before uPlot, which reads navigator.language as it loads (see language.ts).
import "./language";
import uPlot from "uplot";
import type { TimeseriesPoint } from "./types";

const GREEN = "#1a7f37";
const RED = "#cf222e";
const BLUE = "#0969da";

export function deliveryChart(host: HTMLElement, points: TimeseriesPoint[], bucketMs: number, signal: AbortSignal): void {
  // Each period is drawn at its middle, its two bars either side; the axis spans whole periods.
  const starts = points.map((p) => Date.parse(p.t) / 1000);
  const xs = starts.map((t) => t + bucketMs / 2000);
  const span: [number, number] = [starts[0] ?? 0, (starts[starts.length - 1] ?? 0) + bucketMs / 1000];
  const bars = uPlot.paths.bars!;
  const size = (): { width: number; height: number } => ({ width: Math.max(280, host.clientWidth), height: host.clientWidth < 500 ? 220 : 280 });
  const chart = new uPlot(
    {
      ...size(),
      cursor: { points: { show: false } },
      legend: { live: true },
      scales: {
        x: { time: true, range: () => span },
        n: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
        ms: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil((max ?? 0) * 1.1))] },
      },
      axes: [
        {},
        { scale: "n", label: "Deliveries", size: 50 },
        { scale: "ms", label: "Median response time (ms)", side: 1, size: 60, grid: { show: false } },
      ],
      series: [
        {},
        { label: "Successful", scale: "n", stroke: GREEN, fill: "rgba(26,127,55,0.55)", width: 1, paths: bars({ size: [0.45, 40], align: -1 }), points: { show: false } },
        { label: "Failed", scale: "n", stroke: RED, fill: "rgba(207,34,46,0.55)", width: 1, paths: bars({ size: [0.45, 40], align: 1 }), points: { show: false } },
        { label: "Median response time", scale: "ms", stroke: BLUE, width: 2, spanGaps: false, points: { show: true, size: 5 }, value: (_u, v) => (v === null ? "—" : `${v} ms`) },
      ],
    },
    // An empty period draws no bar at all, rather than a flat line on the axis.
    [xs, points.map((p) => p.success || null), points.map((p) => p.failed || null), points.map((p) => p.median_response_time_ms)],
    host,
  );
  const resize = new ResizeObserver(() => chart.setSize(size()));
  resize.observe(host);
  signal.addEventListener("abort", () => {
    resize.disconnect();
    chart.destroy();
  });
}
