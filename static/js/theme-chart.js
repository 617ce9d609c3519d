// Draws the client's theme-intensity chart from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const source = document.getElementById("theme-chart-data");
  const canvas = document.getElementById("theme-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const palette = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997",
                   "#dc3545", "#6c757d", "#0dcaf0", "#ffc107", "#6610f2", "#212529"];
  const chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.series.map((row, index) => ({
        label: row.theme,
        data: row.values,
        borderColor: palette[index % palette.length],
        backgroundColor: palette[index % palette.length],
        tension: 0,
      })),
    },
    options: {
      animation: false,
      scales: { y: { min: 0, max: 3, ticks: { stepSize: 1 } } },
      // The canvas legend draws each label on one line and cuts off long theme names on a
      // narrow screen; the legend below is HTML, so its entries wrap like text.
      plugins: { legend: { display: false } },
    },
  });

  const legend = document.createElement("ul");
  legend.className = "theme-chart-legend list-unstyled d-flex flex-wrap gap-2 small mt-2 mb-0";
  legend.setAttribute("aria-label", "Themes in the chart; choose one to hide or show its line");
  chart.data.datasets.forEach((dataset, index) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-light border d-inline-flex align-items-center gap-1 text-start";
    button.setAttribute("aria-pressed", "true");
    const swatch = document.createElement("span");
    swatch.setAttribute("aria-hidden", "true");
    swatch.className = "d-inline-block flex-shrink-0 rounded-1";
    // CSSOM, not a style attribute: allowed under the page's Content Security Policy.
    swatch.style.width = "12px";
    swatch.style.height = "12px";
    swatch.style.backgroundColor = dataset.borderColor;
    const label = document.createElement("span");
    label.textContent = dataset.label;
    button.append(swatch, label);
    button.addEventListener("click", function () {
      const visible = !chart.isDatasetVisible(index);
      chart.setDatasetVisibility(index, visible);
      chart.update();
      button.setAttribute("aria-pressed", String(visible));
      label.classList.toggle("text-decoration-line-through", !visible);
    });
    item.append(button);
    legend.append(item);
  });
  canvas.parentElement.after(legend);
  canvas.dataset.drawn = "true";
})();
