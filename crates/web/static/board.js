// The board's live updates: rows arrive as server-sent events while the page
// is open. Without JavaScript the page is the same, only not live.
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table || !table.dataset.stream || !window.EventSource) {
    return;
  }
  var body = table.tBodies[0];
  var live = document.getElementById("live");
  var total = document.getElementById("board-total");
  var empty = document.getElementById("board-empty");

  function cell(tr, content, cls, lang) {
    var td = document.createElement("td");
    if (cls) {
      td.className = cls;
    }
    if (lang) {
      td.lang = lang;
    }
    if (typeof content === "string") {
      td.textContent = content;
    } else if (content) {
      td.appendChild(content);
    }
    tr.appendChild(td);
  }

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function row(r) {
    var tr = document.createElement("tr");
    tr.dataset.number = r.number;
    tr.dataset.seq = r.seq;
    tr.className = "fresh";
    cell(tr, r.number, "code");
    // Items' and applicants' names are data, in Chinese whatever the page's language.
    cell(tr, r.item_name, "", "zh-CN");
    cell(tr, r.department_name);
    cell(tr, r.region_name);
    cell(tr, r.applicant, "", "zh-CN");
    cell(tr, r.accepted_local || "", "date");
    cell(tr, span("state " + r.state, r.state_label));
    cell(tr, r.promised_due || "", "date");
    cell(tr, r.completed_local || "", "date");
    var timely = null;
    if (r.on_time === true) {
      timely = span("ontime", table.dataset.onTime);
    } else if (r.on_time === false) {
      timely = span("late", table.dataset.late);
    }
    cell(tr, timely);
    return tr;
  }

  // The browser reconnects by itself, sending the last event's id, so nothing is lost or repeated.
  var source = new EventSource(table.dataset.stream);
  source.addEventListener("ready", function () {
    if (live) {
      live.hidden = false;
    }
  });
  source.addEventListener("error", function () {
    if (live) {
      live.hidden = true;
    }
  });
  function shown(number) {
    for (var i = 0; i < body.rows.length; i++) {
      if (body.rows[i].dataset.number === number) {
        return body.rows[i];
      }
    }
    return null;
  }
  // A case that moved to a state the filter does not show leaves the page.
  source.addEventListener("left", function (e) {
    var old = shown(JSON.parse(e.data).number);
    if (old) {
      body.removeChild(old);
      if (total) {
        total.textContent = String(Math.max(0, Number(total.textContent) - 1));
      }
    }
  });
  source.addEventListener("case", function (e) {
    var r = JSON.parse(e.data);
    var old = shown(r.number);
    if (old) {
      body.removeChild(old);
    } else if (total) {
      total.textContent = String(Number(total.textContent) + 1);
    }
    body.insertBefore(row(r), body.firstChild);
    if (empty) {
      empty.hidden = true;
    }
  });
})();
