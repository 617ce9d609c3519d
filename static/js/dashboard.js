// Draws the dashboard's charts from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  // Long category names (ladder steps, themes) on several short lines, so Chart.js keeps them
  // whole instead of clipping them at the canvas edge.
  function wrap(label, width) {
    const lines = [];
    let line = "";
    for (const word of String(label).split(" ")) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    }
    if (line) lines.push(line);
    return lines;
  }
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
  function wrapped(data) {
    return { labels: data.labels.map(function (label) { return wrap(label, 22); }), values: data.values };
  }
  // Every category named, none skipped to save room.
  const horizontal = { indexAxis: "y", scales: { y: { ticks: { autoSkip: false } } } };
  draw("chart-funnel", "bar", wrapped(charts.funnel), horizontal);
  draw("chart-attendance", "line", charts.attendance, { scales: { y: { min: 0, max: 100 } } });
  draw("chart-themes", "bar", wrapped(charts.themes), horizontal);
})();
