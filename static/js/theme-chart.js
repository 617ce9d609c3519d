// Draws the client's theme-intensity chart from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const source = document.getElementById("theme-chart-data");
  const canvas = document.getElementById("theme-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const palette = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997",
                   "#dc3545", "#6c757d", "#0dcaf0", "#ffc107", "#6610f2", "#212529"];
  new Chart(canvas, {
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
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  });
  canvas.dataset.drawn = "true";
})();
