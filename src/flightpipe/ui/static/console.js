// flightpipe console: live progress of an action (polls /api/jobs/<id> until it ends). No other script.
"use strict";
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const id = box.dataset.job;
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };

  function show(job) {
    box.dataset.state = job.state;
    document.getElementById("job-state").textContent = job.state;
    document.getElementById("job-day").textContent = job.current_day || "";
    const stages = document.getElementById("job-stages");
    stages.replaceChildren(...Object.entries(job.stages).map(([name, s]) => {
      const row = el("div", undefined, "stage");
      row.dataset.stage = name;
      const bar = el("progress");
      bar.max = Math.max(s.total, s.done, 1);
      bar.value = s.done;
      row.append(el("span", name, "stage-name"), bar, el("span", `${s.done}/${s.total}` + (s.failed ? ` (${s.failed} failed)` : "")));
      return row;
    }));
    const runs = document.querySelector("#job-runs tbody");
    runs.replaceChildren(...job.runs.map((r) => {
      const tr = el("tr");
      tr.dataset.run = r.run_id;
      tr.dataset.state = r.state;
      const link = el("a", r.run_id);
      link.href = "/runs/" + encodeURIComponent(r.run_id);
      const cell = el("td");
      cell.append(link);
      tr.append(el("td", r.day), cell, el("td", r.state), el("td", String(r.rows_loaded)), el("td", String(r.records_quarantined)));
      return tr;
    }));
    document.getElementById("job-messages").replaceChildren(...job.messages.map((m) => el("li", m)));
    const error = document.getElementById("job-error");
    error.hidden = !job.error;
    error.textContent = job.error || "";
  }

  async function poll() {
    try {
      const answer = await fetch("/api/jobs/" + id, { credentials: "same-origin" });
      if (answer.ok) {
        const job = await answer.json();
        show(job);
        if (job.state !== "running") return;
      }
    } catch (e) { /* the server restarted or is busy: try again */ }
    setTimeout(poll, 400);
  }
  poll();
})();
