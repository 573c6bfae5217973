// crossdock console: the overview's charts (uPlot over /console/series.json, redrawn every 10 s) and the
// display of refused htmx actions. No build step: plain script, loaded after htmx.
(function () {
  "use strict";

  // htmx does not swap error answers: show their message in the flash area instead.
  document.body.addEventListener("htmx:responseError", function (event) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var text = event.detail.xhr.responseText || "";
    var match = /<p id="error-message"[^>]*>([\s\S]*?)<\/p>/.exec(text);
    var message = match ? match[1] : "the request failed (" + event.detail.xhr.status + ")";
    flash.innerHTML = '<p class="flash error" id="flash-message"></p>';
    flash.firstChild.innerHTML = message;
  });

  var charts = document.querySelectorAll(".chart[data-series]");
  if (!charts.length || typeof uPlot === "undefined") return;
  var plots = [];

  function options(el) {
    var share = el.dataset.share === "1";
    return {
      title: el.dataset.label,
      width: Math.max(el.clientWidth - 16, 300),
      height: 200,
      series: [
        {},
        {
          label: el.dataset.label,
          stroke: "#0969da",
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6 },
          value: function (u, v) { return v == null ? "–" : share ? (v * 100).toFixed(1) + " %" : v.toFixed(1); },
        },
      ],
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return share ? (v * 100).toFixed(0) + "%" : v; }); } }],
      scales: {
        y: share ? { range: [0, 1] } : { range: function (u, min, max) { return [0, Math.max(max * 1.1, 1)]; } },
      },
    };
  }

  function draw() {
    fetch("/console/series.json", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (series) {
        charts.forEach(function (el, i) {
          var data = [series.t, series[el.dataset.series]];
          if (plots[i]) {
            plots[i].setData(data);
          } else {
            plots[i] = new uPlot(options(el), data, el);
          }
          // One minute alone would stretch the time axis over years: show at least the last half hour.
          var t = series.t;
          if (t.length) {
            var last = t[t.length - 1];
            plots[i].setScale("x", { min: Math.min(t[0], last - 1800), max: last + 60 });
          }
        });
        document.body.dataset.chartsDrawn = String(series.t.length);
      })
      .catch(function () {});
  }

  draw();
  setInterval(draw, 10000);
})();
