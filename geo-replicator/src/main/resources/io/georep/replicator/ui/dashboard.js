// The georep dashboard: polls /api/dashboard and /api/conflicts of the agent that serves it.
(function () {
  "use strict";

  var TYPES = ["insert-insert", "update-update-same-columns", "update-update-different-columns",
    "update-delete", "delete-update", "delete-delete", "delete-missing", "unique-key-clash",
    "parent-deleted"];
  var COLORS = ["#0969da", "#cf222e", "#2da44e", "#bf8700", "#8250df", "#1b7c83", "#e16f24",
    "#6e7781", "#bf3989"];
  var LATEST = 50;
  var refreshMillis = 2000;
  var charts = {};
  var filter = {};

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function fill(tableId, rows) {
    var body = document.querySelector("#" + tableId + " tbody");
    body.replaceChildren.apply(body, rows);
  }

  function cell(text, cls) {
    var td = el("td", { text: text === undefined || text === null ? "" : String(text) });
    if (cls) { td.className = cls; }
    return td;
  }

  function rates(history, pick) {
    // Counts since start, sampled: a rate per interval between consecutive samples.
    var names = {};
    history.forEach(function (s) { Object.keys(pick(s)).forEach(function (n) { names[n] = true; }); });
    var series = Object.keys(names).sort();
    var xs = [];
    var ys = series.map(function () { return []; });
    for (var i = 1; i < history.length; i++) {
      var dt = (history[i].t - history[i - 1].t) / 1000;
      if (dt <= 0) { continue; }
      xs.push(history[i].t / 1000);
      series.forEach(function (n, j) {
        var now = pick(history[i])[n] || 0;
        var before = pick(history[i - 1])[n] || 0;
        ys[j].push(Math.max(0, now - before) / dt);
      });
    }
    return { series: series, data: [xs].concat(ys) };
  }

  function levels(history, pick) {
    var names = {};
    history.forEach(function (s) { Object.keys(pick(s)).forEach(function (n) { names[n] = true; }); });
    var series = Object.keys(names).sort();
    var xs = history.map(function (s) { return s.t / 1000; });
    var ys = series.map(function (n) {
      return history.map(function (s) { var v = pick(s)[n]; return v === undefined ? null : v; });
    });
    return { series: series, data: [xs].concat(ys) };
  }

  function chart(id, built) {
    var target = document.getElementById(id);
    var key = built.series.join("|");
    var width = Math.max(320, Math.min(560, window.innerWidth - 60));
    if (!charts[id] || charts[id].key !== key) {
      if (charts[id]) { charts[id].plot.destroy(); }
      var series = [{}].concat(built.series.map(function (n, i) {
        return { label: n, stroke: COLORS[i % COLORS.length], width: 1.5 };
      }));
      var plot = new uPlot({ width: width, height: 220, series: series,
        axes: [{}, { size: 60 }], legend: { live: false } }, built.data, target);
      charts[id] = { key: key, plot: plot };
    } else {
      charts[id].plot.setData(built.data);
    }
  }

  function seconds(v) {
    return v === null || v === undefined ? "" : (Math.round(v * 10) / 10) + " s";
  }

  function render(doc) {
    refreshMillis = (doc.refreshSeconds || 2) * 1000;
    var status = doc.status;
    document.getElementById("served").textContent = "served by region " + doc.region;
    var ready = document.getElementById("ready");
    ready.textContent = status.ready ? "ready" : "not ready";
    ready.className = "badge " + (status.ready ? "up" : "down");
    document.getElementById("updated").textContent =
      "updated " + new Date().toLocaleTimeString() + ", every " + doc.refreshSeconds + " s";

    var alerts = doc.alerts.map(function (a) {
      var li = el("li", {}, [el("span", { text: a.alert })]);
      if (a.action) {
        li.appendChild(el("div", { "class": "runbook",
          text: "Runbook (" + a.section + "): " + a.action }));
      }
      return li;
    });
    var list = document.getElementById("alerts");
    if (alerts.length === 0) { alerts = [el("li", { "class": "muted", text: "none" })]; }
    list.replaceChildren.apply(list, alerts);

    var rows = Object.keys(status.regions).sort().map(function (name) {
      var r = status.regions[name];
      var o = status.origins[name];
      var stream = name === doc.region ? "capture " + status.capture.state
        : o ? o.state + (o.halt ? ": " + o.halt : "") : "";
      return el("tr", { "data-region": name }, [
        cell(name + (name === doc.region ? " (this agent)" : "")),
        cell(r.up ? "up" : "down", r.up ? "" : "error"),
        cell(r.lastHeartbeat || "never"),
        cell(r.shippedSeq, "num"),
        cell(stream),
        cell(o ? seconds(o.lagSeconds) : "", "num"),
        cell(o ? o.transactionsApplied : "", "num")
      ]);
    });
    fill("regions", rows);

    fill("conflict-types", TYPES.map(function (t) {
      return el("tr", { "data-type": t }, [cell(t), cell(doc.conflictsByType[t] || 0, "count")]);
    }));
    var byResolver = [];
    Object.keys(doc.conflictsByResolver).sort().forEach(function (r) {
      Object.keys(doc.conflictsByResolver[r]).sort().forEach(function (t) {
        byResolver.push(el("tr", {}, [cell(r), cell(t), cell(doc.conflictsByResolver[r][t], "count")]));
      });
    });
    fill("conflict-resolvers", byResolver);
    var byTable = [];
    Object.keys(doc.conflicts).sort().forEach(function (table) {
      Object.keys(doc.conflicts[table]).sort().forEach(function (t) {
        byTable.push(el("tr", {}, [cell(table), cell(t), cell(doc.conflicts[table][t], "count")]));
      });
    });
    fill("conflict-tables", byTable);

    fill("copy", Object.keys(status.initialCopy).sort().map(function (table) {
      var c = status.initialCopy[table];
      var pct = c.done ? 100 : Math.max(0, Math.min(100, c.percent || 0));
      var bar = el("div", { "class": "bar" }, [el("div", { style: "width:" + pct + "%" })]);
      return el("tr", {}, [cell(table), el("td", {}, [bar]),
        cell(c.rowsCopied + (c.estimatedRows > 0 ? " of ~" + c.estimatedRows : ""), "num"),
        cell(c.rowsPerSecond, "num"), cell(c.done ? "done" : c.etaSeconds >= 0 ? c.etaSeconds + " s" : "")]);
    }));

    chart("chart-types", rates(doc.history, function (s) { return s.conflictsByType; }));
    chart("chart-tables", rates(doc.history, function (s) { return s.conflictsByTable; }));
    chart("chart-lag", levels(doc.history, function (s) { return s.lagSeconds; }));
  }

  function version(v, won) {
    var text = v.kind + " " + v.dot + " at " + new Date(v.hlc.wall).toISOString() + " " +
      JSON.stringify(v.values);
    return cell(text, "version" + (won ? " won" : ""));
  }

  function renderLatest(body) {
    var winners = {};
    var rows = body.conflicts.slice().reverse().map(function (c) {
      var winner = c.winner === "local" ? c.local.origin : c.winner === "remote" ? c.remote.origin
        : "merged";
      var key = c.resolver + "|" + winner;
      winners[key] = (winners[key] || 0) + 1;
      return el("tr", { "data-id": String(c.id) }, [
        cell(c.id, "num"), cell(c.detectedAt), cell(c.type), cell(c.table), cell(JSON.stringify(c.key)),
        cell(c.winner + (winner !== "merged" ? " (" + winner + ")" : "")), cell(c.resolver),
        version(c.local, c.winner === "local"), version(c.remote, c.winner === "remote")
      ]);
    });
    fill("latest", rows);
    fill("conflict-winners", Object.keys(winners).sort().map(function (k) {
      var parts = k.split("|");
      return el("tr", {}, [cell(parts[0]), cell(parts[1]), cell(winners[k], "count")]);
    }));
  }

  function query() {
    var q = ["latest=true", "limit=" + LATEST];
    Object.keys(filter).forEach(function (k) {
      if (filter[k]) { q.push(k + "=" + encodeURIComponent(filter[k])); }
    });
    return q.join("&");
  }

  function get(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    });
  }

  function poll() {
    Promise.all([get("/api/dashboard"), get("/api/conflicts?" + query())]).then(function (got) {
      if (got[0].ok) { render(got[0].body); }
      var error = document.getElementById("filter-error");
      if (got[1].ok) {
        error.textContent = "";
        renderLatest(got[1].body);
      } else {
        error.textContent = got[1].body.message || "the conflict log cannot be read";
      }
    }).catch(function (e) {
      document.getElementById("updated").textContent = "the agent does not answer: " + e;
    }).then(function () {
      setTimeout(poll, refreshMillis);
    });
  }

  var typeSelect = document.getElementById("f-type");
  TYPES.forEach(function (t) { typeSelect.appendChild(el("option", { value: t, text: t })); });
  document.getElementById("filter").addEventListener("submit", function (e) {
    e.preventDefault();
    filter = {
      table: document.getElementById("f-table").value.trim(),
      type: typeSelect.value,
      since: document.getElementById("f-since").value.trim(),
      until: document.getElementById("f-until").value.trim()
    };
  });
  poll();
})();
