// The monthly report's 12-month trends: one line chart per headline indicator, the province
// bold and every city thin. Used by the report page and by its HTML/PDF export (animate =
// false there, so Chromium prints the final picture).
function drawReportCharts(data, animate) {
  const font = {fontFamily: getComputedStyle(document.body).fontFamily};
  const charts = [];
  data.charts.forEach((spec, n) => {
    const box = document.getElementById("trend-" + n);
    if (!box) return;
    const chart = echarts.init(box, null, {renderer: "svg"});
    chart.setOption({
      animation: animate, textStyle: font,
      tooltip: {trigger: "axis"},
      // A plain legend (not scrolling) so the print shows every city.
      legend: {bottom: 0, itemWidth: 14, itemHeight: 8, itemGap: 6, textStyle: {fontSize: 10}},
      grid: {left: 50, right: 16, top: 16, bottom: 64},
      xAxis: {type: "category", data: data.months, axisLabel: {fontSize: 10}},
      yAxis: {type: "value", scale: true, axisLabel: {fontSize: 10}},
      series: spec.lines.map((line) => ({
        name: line.name, type: "line", data: line.data, connectNulls: false,
        symbolSize: line.province ? 6 : 3,
        lineStyle: {width: line.province ? 3 : 1},
        z: line.province ? 3 : 2,
        // The province's target of the month as a dashed line.
        markLine: line.province && spec.target !== null ? {
          silent: true, symbol: "none", lineStyle: {type: "dashed", color: "#9b1c1c"},
          label: {formatter: spec.target_label, position: "insideEndTop", fontSize: 10},
          data: [{yAxis: spec.target}],
        } : undefined,
      })),
    });
    box.dataset.drawn = "true";
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
}
