// Draws the dashboard's charts from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  function draw(id, type, data, options) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: type,
      data: { labels: data.labels, datasets: [{ data: data.values, backgroundColor: "#0a58ca", borderColor: "#0a58ca" }] },
      options: Object.assign({ animation: false, plugins: { legend: { display: false } } }, options || {}),
    });
    canvas.dataset.drawn = "true";
  }
  draw("chart-funnel", "bar", charts.funnel, { indexAxis: "y" });
  draw("chart-attendance", "line", charts.attendance, { scales: { y: { min: 0, max: 100 } } });
  draw("chart-themes", "bar", charts.themes, { indexAxis: "y" });
})();
