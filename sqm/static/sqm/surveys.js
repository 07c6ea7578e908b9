// Charts of a satisfaction analysis: the PLS path diagram and the importance–performance
// grid. Used by the run page and by its PDF print (animate = false so Chromium prints them).
function drawSurveyCharts(data, animate) {
  const font = {fontFamily: getComputedStyle(document.body).fontFamily};
  const charts = [];
  const pathBox = document.getElementById("chart-path");
  if (pathBox && data.path) {
    const chart = echarts.init(pathBox, null, {renderer: "svg"});
    chart.setOption({
      animation: animate, textStyle: font,
      series: [{
        type: "graph", layout: "none", roam: false, symbol: "roundRect", symbolSize: [110, 46],
        label: {show: true, color: "#fff", fontSize: 11},
        itemStyle: {color: "#0b5cad"},
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9,
        edgeLabel: {show: true, formatter: (p) => p.data.value.toFixed(2), fontSize: 11},
        data: data.path.nodes.map((n) => ({name: n.name, x: n.x, y: n.y, value: n.label,
                                           label: {formatter: n.label}})),
        links: data.path.edges.map((e) => ({
          source: e.source, target: e.target, value: e.value,
          lineStyle: {width: 1 + 5 * Math.abs(e.value), type: e.significant ? "solid" : "dashed",
                      color: e.value >= 0 ? "#2c6e49" : "#c0392b", curveness: 0.08}})),
      }],
    });
    charts.push(chart);
  }
  const ipaBox = document.getElementById("chart-ipa");
  if (ipaBox && data.ipa) {
    const chart = echarts.init(ipaBox, null, {renderer: "svg"});
    const cut = data.ipa.cuts;
    chart.setOption({
      animation: animate, textStyle: font, tooltip: {trigger: "item",
        formatter: (p) => `${p.data.name}<br>${p.data.value[0].toFixed(3)} / ${p.data.value[1].toFixed(1)}`},
      grid: {left: 60, right: 30, top: 30, bottom: 50},
      xAxis: {type: "value", name: data.ipa.axis.x, nameLocation: "middle", nameGap: 28, scale: true},
      yAxis: {type: "value", name: data.ipa.axis.y, nameLocation: "middle", nameGap: 40, scale: true},
      series: [{
        type: "scatter", symbolSize: 12,
        data: data.ipa.points.map((p) => ({name: p.name, value: p.value,
          itemStyle: {color: p.short ? "#c0392b" : "#0b5cad"}})),
        label: {show: true, position: "right", formatter: (p) => p.data.name, fontSize: 11},
        markLine: {silent: true, symbol: "none", lineStyle: {type: "dashed", color: "#888"},
                   data: [{xAxis: cut.importance}, {yAxis: cut.performance}]},
      }],
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
}
