// Draws the checks-per-day chart of the scan log from the JSON the page carries.
// Without JavaScript the page shows the same numbers as a table.
(function () {
  "use strict";
  var data = document.getElementById("chart-data");
  var box = document.getElementById("scan-chart");
  if (!data || !box || !window.echarts) return;
  var chart = JSON.parse(data.textContent);
  box.hidden = false;
  var plot = window.echarts.init(box);
  plot.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: chart.days },
    yAxis: { type: "value", minInterval: 1 },
    series: chart.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "checks", data: s.data, itemStyle: { color: s.colour } };
    }),
  });
  window.addEventListener("resize", function () { plot.resize(); });
})();
