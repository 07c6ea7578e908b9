// Home-page charts: each .home-chart names the JSON element holding its data
// ({axis, bars: [{name, data}], line: {name, data}}): counts as bars on the left axis, the
// percentage as a line on the right axis. A static file, so the page needs no inline script.
(function () {
  "use strict";
  function draw(element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source || typeof echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const font = {fontFamily: getComputedStyle(document.body).fontFamily};
    const colours = ["#0b5cad", "#2e9d53", "#c0392b"];
    const series = data.bars.map((bar, n) => ({
      name: bar.name, type: "bar", data: bar.data, itemStyle: {color: colours[n % colours.length]},
    }));
    if (data.line) {
      series.push({name: data.line.name, type: "line", yAxisIndex: 1, data: data.line.data,
                   connectNulls: true, itemStyle: {color: "#e08e0b"}});
    }
    const chart = echarts.init(element);
    chart.setOption({
      // No entry animation: the bars and the line are the figures themselves, and a chart
      // caught growing (a screenshot, a quick glance) showed the line stopping weeks early.
      animation: false,
      textStyle: font,
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 45, right: 50, top: 35, bottom: 30},
      xAxis: {type: "category", data: data.axis},
      yAxis: [{type: "value", minInterval: 1}].concat(data.line
        ? [{type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}}] : []),
      series: series,
    });
    window.addEventListener("resize", () => chart.resize());
    element.dataset.drawn = "1";
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".home-chart").forEach(draw);
  });
})();
