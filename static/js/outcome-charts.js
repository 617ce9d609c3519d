// Draws one chart per outcome instrument from the JSON the page embeds (no inline script):
// the code's scores over time, the instrument's bands shaded behind them, and a dashed
// reference line where the instrument has one (BARC-10's 47). The page's tables carry the
// same figures for screen readers.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const palette = ["#0d6efd", "#d63384", "#198754"];
  // Light to strong: bands are listed from the lowest (best, for PHQ-9/GAD-7) up.
  const bandFills = ["rgba(25,135,84,0.08)", "rgba(255,193,7,0.10)", "rgba(253,126,20,0.12)",
                     "rgba(220,53,69,0.12)", "rgba(220,53,69,0.20)"];

  const shading = {
    id: "outcomeShading",
    beforeDatasetsDraw(chart, _args, options) {
      const { ctx, chartArea, scales } = chart;
      if (!chartArea) return;
      ctx.save();
      (options.bands || []).forEach((band, index) => {
        // Both ends are included: a band covers from just below its low to just above its high.
        const top = scales.y.getPixelForValue(Math.min(band.high + 0.5, scales.y.max));
        const bottom = scales.y.getPixelForValue(Math.max(band.low - 0.5, scales.y.min));
        ctx.fillStyle = bandFills[index % bandFills.length];
        ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
        ctx.fillStyle = "#495057";
        ctx.font = "11px sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(band.label, chartArea.right - 4, top + 12);
      });
      if (options.reference) {
        const y = scales.y.getPixelForValue(options.reference.value);
        ctx.strokeStyle = "#198754";
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(chartArea.left, y);
        ctx.lineTo(chartArea.right, y);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#146c43";
        ctx.font = "11px sans-serif";
        ctx.textAlign = "left";
        ctx.fillText(options.reference.label, chartArea.left + 4, y - 4);
      }
      ctx.restore();
    },
  };

  document.querySelectorAll("canvas.outcome-canvas").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map((line, index) => ({
          label: line.label,
          data: line.values,
          borderColor: palette[index % palette.length],
          backgroundColor: palette[index % palette.length],
          tension: 0,
        })),
      },
      options: {
        animation: false,
        scales: { y: { min: data.min, max: data.max } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          outcomeShading: { bands: data.bands, reference: data.reference },
        },
      },
      plugins: [shading],
    });
    canvas.dataset.drawn = "true";
  });
})();
