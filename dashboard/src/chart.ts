/** The sponsor's spend per day as a bar chart (chart.js, bundled: no CDN). */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";

import { h } from "./dom";
import { CREDIT_DECIMALS } from "./format";
import type { ApiDaySpend } from "./api";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Credits (base units) as a number of credits for the chart's axis (display only; tables keep exact figures). */
function creditsNumber(base: string): number {
  return Number(BigInt(base)) / 10 ** CREDIT_DECIMALS;
}

/** A canvas with the bar chart of credits spent per UTC day (USD in the tooltip). */
export function spendChart(days: readonly ApiDaySpend[]): HTMLElement {
  const canvas = h("canvas", { "data-testid": "spend-chart", "aria-label": "Credits spent per day" });
  const box = h("div", { class: "chart" }, canvas);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: days.map((day) => day.day),
      datasets: [
        {
          label: "Credits spent (1 credit = $1)",
          data: days.map((day) => creditsNumber(day.credits)),
          backgroundColor: "#3b82f6",
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => {
              const day = days[item.dataIndex];
              return day === undefined
                ? ""
                : `${item.formattedValue} credits = $${day.usd} (${day.operations} operations)`;
            },
          },
        },
      },
      scales: { y: { beginAtZero: true, title: { display: true, text: "credits" } } },
    },
  });
  return box;
}
