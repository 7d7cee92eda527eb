/* global document, window, getComputedStyle */
/* The light curves on a target's page: each reads its plotly figure from a <script type="application/json">
   (built by src/plots/lightcurve.ts: the magnitudes, the same figure get-plots returns, and the radio fluxes)
   and draws it into its holder. The radio buttons "MJD" / "Date (UTC)" switch the x axis between MJD and
   calendar dates. A click on a point opens its data product (/datums/<id>/ redirects there). */
(function () {
  "use strict";
  if (!window.Plotly) return;
  // MJD 40587 is 1970-01-01T00:00Z.
  function isoOf(mjd) {
    return new Date(Math.round((mjd - 40587) * 86400000)).toISOString().replace("T", " ").replace("Z", "");
  }
  var config = {
    responsive: true,
    displaylogo: false,
    scrollZoom: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toggleSpikelines"],
  };

  function panel(holderId, dataId, axisName) {
    var holder = document.getElementById(holderId);
    var source = document.getElementById(dataId);
    if (!holder || !source) return;
    var figure = JSON.parse(source.textContent);
    var mjdX = figure.data.map(function (trace) {
      return trace.x.slice();
    });
    var dateX = null;
    var layout = Object.assign({}, figure.layout, {
      title: undefined,
      autosize: true,
      margin: { l: 56, r: 12, t: 12, b: 48 },
      legend: { orientation: "h", y: -0.22 },
      font: { family: getComputedStyle(document.body).fontFamily, size: 13 },
    });

    function traces(axis) {
      if (axis === "date" && !dateX) {
        dateX = mjdX.map(function (xs) {
          return xs.map(isoOf);
        });
      }
      return figure.data.map(function (trace, i) {
        return Object.assign({}, trace, {
          x: axis === "date" ? dateX[i] : mjdX[i],
          hovertemplate: (axis === "date" ? "%{x|%Y-%m-%d %H:%M} UTC<br>" : "") + "%{text}<extra></extra>",
        });
      });
    }

    function draw(axis) {
      var xaxis = Object.assign({}, layout.xaxis, {
        title: { text: axis === "date" ? "Date (UTC)" : "MJD" },
        type: axis === "date" ? "date" : "linear",
        exponentformat: "none",
        separatethousands: false,
        autorange: true,
      });
      holder.setAttribute("data-axis", axis);
      return window.Plotly.react(holder, traces(axis), Object.assign({}, layout, { xaxis: xaxis }), config);
    }

    draw("mjd").then(function () {
      // A point opens the data product it came from (its calibration runs are listed there).
      holder.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && point.customdata !== undefined)
          window.location.href = "/datums/" + point.customdata + "/";
      });
    });
    var radios = document.querySelectorAll('input[name="' + axisName + '"]');
    for (var i = 0; i < radios.length; i++) {
      radios[i].addEventListener("change", function (event) {
        if (event.target.checked) draw(event.target.value);
      });
    }
  }

  panel("lightcurve", "lightcurve-data", "lc-axis");
  panel("radiocurve", "radiocurve-data", "radio-axis");
})();
