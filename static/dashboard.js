// Draws the dashboard's charts with Apache ECharts (served from the site's own static files),
// from the same figures as the tables beside them. SVG rendering, so that each bar's value is
// text on the page.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var money = new Intl.NumberFormat(zh ? "zh-CN" : "en-US", { maximumFractionDigits: 0 });
  var plain = new Intl.NumberFormat(zh ? "zh-CN" : "en-US", { maximumFractionDigits: 1 });
  function format(series) {
    return function (params) {
      var value = params.value;
      if (value === null || value === undefined) { return ""; }
      return series.money ? money.format(value) : plain.format(value);
    };
  }
  charts.forEach(function (chart) {
    var element = document.querySelector('[data-chart="' + chart.key + '"]');
    if (!element) { return; }
    var height = Math.max(280, 40 + chart.labels.length * 26 * Math.max(1, chart.series.length));
    element.style.height = height + "px";
    var instance = echarts.init(element, null, { renderer: "svg" });
    instance.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 64, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: chart.labels, inverse: true },
      series: chart.series.map(function (series) {
        return {
          name: series.name,
          type: "bar",
          data: series.data,
          label: { show: true, position: "right", formatter: format(series) }
        };
      })
    });
    window.addEventListener("resize", function () { instance.resize(); });
  });
})();
