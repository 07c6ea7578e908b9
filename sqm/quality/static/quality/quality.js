// The 12-month trend of one indicator by city (dashboard and indicator page): each
// .quality-trend names the JSON element holding {months, series: [{name, values}], unit}.
// A static file, so the page needs no inline script (Content-Security-Policy).
(function () {
  "use strict";
  function draw(element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source || typeof echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const font = {fontFamily: getComputedStyle(document.body).fontFamily};
    const unit = data.unit || "";
    const chart = echarts.init(element, null, {renderer: "svg"});
    chart.setOption({
      animation: false,
      textStyle: font,
      tooltip: {trigger: "axis", valueFormatter: (v) => (v == null ? "—" : `${+v.toFixed(2)}${unit}`)},
      legend: {type: "scroll", top: 0},
      grid: {left: 12, right: 24, top: 40, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: data.months},
      yAxis: {type: "value", scale: true, axisLabel: {formatter: (v) => `${v}${unit}`}},
      series: data.series.map((s, n) => ({
        name: s.name, type: "line", data: s.values, connectNulls: false,
        lineStyle: {width: n === 0 && !s.city ? 3 : 1.5},
      })),
    });
    window.addEventListener("resize", () => chart.resize());
    element.dataset.drawn = "1";
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".quality-trend").forEach(draw);
  });
})();
