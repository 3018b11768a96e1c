/**
 * "Webhook Statistics": the document's seven figures, and a chart of deliveries and response
 * times over the last hour, day or month.
 */
import { api } from "../api";
import { deliveryChart } from "../chart";
import { field, h, replace } from "../dom";
import { ms, percent, when } from "../format";
import { notice, title, type Screen } from "../screen";
import type { Stats, TimeseriesPoint, Webhook } from "../types";

const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const RANGES = {
  minute: "Last hour, by minute",
  hour: "Last 24 hours, by hour",
  day: "Last 30 days, by day",
} as const;
type Bucket = keyof typeof RANGES;

export async function statsScreen({ main, signal }: Screen, id: string): Promise<void> {
  const [w, stats] = await Promise.all([api<Webhook>("GET", `/v1/webhooks/${id}`), api<Stats>("GET", `/v1/webhooks/${id}/stats`)]);
  if (signal.aborted) return;

  const figure = (label: string, value: string, hint?: string, kind = "") =>
    h("div", { class: "figure" }, h("dt", null, label), h("dd", { class: kind }, value), hint ? h("dd", { class: "muted small" }, hint) : null);

  const chartHost = h("div", { class: "chart" });
  const table = h("div");
  const range = h("select", { name: "range", on: { change: () => void drawChart(range.value as Bucket) } }, Object.entries(RANGES).map(([v, l]) => h("option", { value: v, selected: v === "hour" }, l)));
  let chartScope = new AbortController();
  signal.addEventListener("abort", () => chartScope.abort());

  async function drawChart(bucket: Bucket) {
    let data: TimeseriesPoint[];
    try {
      data = (await api<{ data: TimeseriesPoint[] }>("GET", `/v1/webhooks/${id}/stats/timeseries?bucket=${bucket}`)).data;
    } catch (err) {
      replace(chartHost, notice("error", `The chart could not be loaded: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (signal.aborted) return;
    chartScope.abort();
    chartScope = new AbortController();
    replace(chartHost);
    deliveryChart(chartHost, data, BUCKET_MS[bucket], chartScope.signal);
    const withData = data.filter((p) => p.success + p.failed > 0);
    replace(
      table,
      h(
        "details",
        null,
        h("summary", null, `The chart's figures as a table (${withData.length} ${withData.length === 1 ? "period" : "periods"} with deliveries)`),
        h(
          "table",
          { class: "responsive" },
          h("thead", null, h("tr", null, ["Period starting", "Successful", "Failed", "Median response time"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            null,
            withData.map((p) =>
              h("tr", null, h("td", { "data-label": "Period starting" }, when(p.t)), h("td", { "data-label": "Successful" }, String(p.success)), h("td", { "data-label": "Failed" }, String(p.failed)), h("td", { "data-label": "Median response time" }, ms(p.median_response_time_ms))),
            ),
          ),
        ),
      ),
    );
  }

  replace(
    main,
    title(`Statistics: ${w.name}`),
    h("p", null, h("a", { href: "#/" }, "← All webhooks"), " · ", h("a", { href: `#/webhooks/${id}/logs` }, "Delivery logs")),
    h(
      "dl",
      { class: "figures" },
      figure("Total Deliveries", String(stats.total_deliveries), "All attempts"),
      figure("Successful Deliveries", String(stats.successful_deliveries), "2xx responses"),
      figure("Failed Deliveries", String(stats.failed_deliveries), "Errors and timeouts"),
      figure("Average Response Time", ms(stats.median_response_time_ms), "Median latency"),
      figure("Success Rate", percent(stats.success_rate)),
      figure("Last Success", when(stats.last_success_at), undefined, "time"),
      figure("Last Failure", when(stats.last_failure_at), undefined, "time"),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "chart-heading" },
      h("div", { class: "title-row" }, h("h2", { id: "chart-heading" }, "Deliveries and response times"), field("Period", range)),
      chartHost,
      h("p", { class: "muted small" }, "Test events and deliveries skipped while paused are not counted, as in the figures above."),
      table,
    ),
  );
  await drawChart("hour");
}
