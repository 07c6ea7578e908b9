// Charts of a satisfaction analysis: the PLS path diagram and the importance–performance
// grid. Used by the run page and by its PDF print (animate = false so Chromium prints them).
function drawSurveyCharts(data, animate) {
  const font = {fontFamily: getComputedStyle(document.body).fontFamily};
  const charts = [];
  const redraws = [];  // charts laid out for their box's size: set again on a resize
  const pathBox = document.getElementById("chart-path");
  if (pathBox && data.path) {
    const chart = echarts.init(pathBox, null, {renderer: "svg"});
    const draw = (animated) => chart.setOption(
      pathOption(data.path, pathBox.clientWidth, pathBox.clientHeight, animated, font));
    draw(animate);
    charts.push(chart);
    redraws.push(() => draw(false));
  }
  const ipaBox = document.getElementById("chart-ipa");
  if (ipaBox && data.ipa) {
    const chart = echarts.init(ipaBox, null, {renderer: "svg"});
    const cut = data.ipa.cuts;
    chart.setOption({
      animation: animate, textStyle: font, tooltip: {trigger: "item",
        formatter: (p) => `${p.data.name}<br>${p.data.value[0].toFixed(3)} / ${p.data.value[1].toFixed(1)}`},
      // Room on the right for the performance line's label (e.g. 67.28) at its end.
      grid: {left: 60, right: 56, top: 30, bottom: 50},
      xAxis: {type: "value", name: data.ipa.axis.x, nameLocation: "middle", nameGap: 28, scale: true},
      yAxis: {type: "value", name: data.ipa.axis.y, nameLocation: "middle", nameGap: 40, scale: true},
      series: [{
        type: "scatter", symbolSize: 12, labelLayout: {moveOverlap: "shiftY"},
        data: data.ipa.points.map((p) => ({name: p.name, value: p.value,
          itemStyle: {color: p.short ? "#c0392b" : "#0b5cad"}})),
        label: {show: true, position: "right", formatter: (p) => p.data.name, fontSize: 11},
        markLine: {silent: true, symbol: "none", lineStyle: {type: "dashed", color: "#888"},
                   data: [{xAxis: cut.importance}, {yAxis: cut.performance}]},
      }],
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => {
    charts.forEach((c) => c.resize());
    redraws.forEach((redraw) => redraw());
  });
}

// The path diagram in a box of WIDTH × HEIGHT pixels. The server places the constructs in
// layers (x) and rows (y) in its own units; ECharts would keep their aspect ratio, which
// squeezes the rows of a long chain of layers into a strip where nodes and labels overlap.
// Here the layers are spread over the width and the rows over the height, the nodes are no
// wider than the gap between layers allows, and an edge that skips layers arcs away from the
// nodes it passes (upwards from the upper half, downwards from the lower half).
function pathOption(path, width, height, animate, font) {
  const xs = path.nodes.map((n) => n.x);
  const ys = path.nodes.map((n) => n.y);
  const [left, right] = [Math.min(...xs), Math.max(...xs)];
  const [top, bottom] = [Math.min(...ys), Math.max(...ys)];
  const layers = new Set(xs).size;
  const nodeWidth = Math.max(52, Math.min(110, (0.55 * width) / Math.max(layers, 1)));
  const [nodeHeight, fontSize] = nodeWidth >= 90 ? [46, 11] : nodeWidth >= 64 ? [40, 10] : [34, 9];
  const padX = nodeWidth / 2 + 6;
  const padY = nodeHeight / 2 + Math.min(60, height / 6);  // room for the arcs
  const inner = {width: Math.max(width - 2 * padX, 1), height: Math.max(height - 2 * padY, 1)};
  const place = (v, low, high, size) => (high > low ? ((v - low) / (high - low)) * size : size / 2);
  const where = {};
  const nodes = path.nodes.map((n) => {
    where[n.name] = n;
    return {name: n.name, x: place(n.x, left, right, inner.width),
            y: place(n.y, top, bottom, inner.height), label: {formatter: n.label}};
  });
  const step = layers > 1 ? (right - left) / (layers - 1) : 1;
  const middle = (top + bottom) / 2;
  const links = path.edges.map((e) => {
    const [from, to] = [where[e.source], where[e.target]];
    const skipped = Math.round(Math.abs(to.x - from.x) / step) - 1;
    const upper = (from.y + to.y) / 2 <= middle;
    // ECharts bends an edge drawn left to right upwards for a positive curveness.
    const bend = skipped > 0 ? 0.12 + 0.04 * Math.min(skipped, 3) : 0.06;
    return {
      source: e.source, target: e.target, value: e.value,
      lineStyle: {width: 1 + 4 * Math.abs(e.value), type: e.significant ? "solid" : "dashed",
                  color: e.value >= 0 ? "#2c6e49" : "#c0392b", opacity: 0.8,
                  curveness: (to.x >= from.x) === upper ? bend : -bend},
    };
  });
  return {
    animation: animate, textStyle: font,
    series: [{
      type: "graph", layout: "none", roam: false, symbol: "roundRect",
      symbolSize: [nodeWidth, nodeHeight],
      // The view is exactly the box the nodes were placed in, so a pixel stays a pixel.
      left: padX, top: padY, width: inner.width, height: inner.height,
      // A name too long for its node (English) wraps instead of running over the edges.
      label: {show: true, color: "#fff", fontSize, width: nodeWidth - 8, overflow: "break",
              lineHeight: fontSize + 2},
      itemStyle: {color: "#0b5cad"},
      edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9,
      edgeLabel: {show: true, formatter: (p) => p.data.value.toFixed(2), fontSize,
                  color: "#1c2733", backgroundColor: "rgba(255, 255, 255, 0.85)",
                  padding: [1, 2]},
      data: nodes, links,
    }],
  };
}
