/* global document, window, FormData, XMLHttpRequest */
/*
 * The upload page: choose or drop several files, then send each in its own request (XMLHttpRequest, so
 * each file has its own progress bar), three at a time, to POST /dataproducts/upload/ with the form's
 * fields. Errors (duplicate 409, field errors 400, too large 413, session ended 401) are shown next to
 * their file. Afterwards the created data products are loaded below (htmx), and their status updates by
 * itself. Without this script the form posts all files at once and the server answers with a page.
 */
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const input = document.getElementById("f-files");
  const zone = document.getElementById("drop-zone");
  const list = document.getElementById("file-list");
  const summary = document.getElementById("upload-summary");
  const button = document.getElementById("upload-button");
  const typeSelect = document.getElementById("f-data_product_type");
  const PARALLEL = 3;
  let csrf = "";
  try {
    csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  } catch {
    csrf = "";
  }

  /** @type {{file: File, li: HTMLElement, bar: HTMLProgressElement, state: HTMLElement, status: string}[]} */
  let entries = [];
  let running = false;

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " kB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  // Fields that only some data types use (the MJD): hidden for the others.
  function toggleFields() {
    const type = typeSelect ? typeSelect.value : "";
    for (const el of form.querySelectorAll("[data-show-for]")) {
      el.hidden = !el.getAttribute("data-show-for").split(" ").includes(type);
    }
  }
  if (typeSelect) {
    typeSelect.addEventListener("change", toggleFields);
    toggleFields();
  }

  function setState(entry, status, text) {
    entry.status = status;
    entry.li.classList.remove("ready", "uploading", "done", "failed");
    entry.li.classList.add(status);
    entry.li.setAttribute("data-state", status);
    entry.state.textContent = text;
  }

  function addFiles(files) {
    for (const file of files) {
      const twin = entries.find(
        (e) => e.status === "ready" && e.file.name === file.name && e.file.size === file.size,
      );
      if (twin) continue;
      const li = document.createElement("li");
      li.className = "file-item ready";
      const name = document.createElement("span");
      name.className = "file-name";
      name.textContent = file.name;
      const size = document.createElement("span");
      size.className = "file-size";
      size.textContent = sizeText(file.size);
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      const state = document.createElement("span");
      state.className = "file-state";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "file-remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + file.name);
      const entry = { file, li, bar, state, status: "ready" };
      remove.addEventListener("click", () => {
        entries = entries.filter((e) => e !== entry);
        li.remove();
        list.hidden = entries.length === 0;
      });
      size.append(" ", remove);
      li.append(name, size, bar, state);
      list.append(li);
      entries.push(entry);
      setState(entry, "ready", "Ready to upload");
    }
    list.hidden = entries.length === 0;
  }

  input.addEventListener("change", () => {
    addFiles(Array.from(input.files || []));
    input.value = "";
  });
  for (const ev of ["dragenter", "dragover"]) {
    zone.addEventListener(ev, (e) => {
      e.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const ev of ["dragleave", "drop"]) {
    zone.addEventListener(ev, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files) addFiles(Array.from(e.dataTransfer.files));
  });

  function send(entry) {
    return new Promise((resolve) => {
      const data = new FormData(form);
      data.delete("files");
      data.append("files", entry.file, entry.file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) entry.bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.upload.addEventListener("load", () => {
        entry.bar.value = 100;
        entry.state.textContent = "Sent; the server is storing it…";
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        if (xhr.status === 201 && body && Array.isArray(body.data)) {
          entry.bar.value = 100;
          const ids = body.data.map((d) => d.id);
          const first = body.data[0] || {};
          const points = typeof first.points === "number" ? ", " + first.points + " point(s)" : "";
          setState(entry, "done", "Uploaded as data product #" + ids.join(", #") + points);
          resolve(ids);
          return;
        }
        let text = body && body.detail ? String(body.detail) : "";
        if (xhr.status === 401) text = "Your session has ended: log in again, then upload.";
        else if (xhr.status === 403 && !text) text = "The form has expired: reload the page and try again.";
        else if (xhr.status === 413 && !text) text = "The file is too large.";
        else if (!text) text = "Upload failed (HTTP " + xhr.status + ").";
        setState(entry, "failed", text);
        resolve([]);
      });
      xhr.addEventListener("error", () => {
        setState(entry, "failed", "Network error: the file was not sent.");
        resolve([]);
      });
      setState(entry, "uploading", "Uploading…");
      entry.bar.value = 0;
      xhr.send(data);
    });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (running) return;
    const todo = entries.filter((x) => x.status === "ready" || x.status === "failed");
    if (todo.length === 0) {
      summary.textContent = "Choose or drop at least one file first.";
      input.focus();
      return;
    }
    running = true;
    button.disabled = true;
    summary.textContent = "Uploading " + todo.length + " file(s)…";
    const created = [];
    let next = 0;
    async function worker() {
      while (next < todo.length) {
        const entry = todo[next++];
        created.push(...(await send(entry)));
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, worker));
    const failed = todo.filter((x) => x.status === "failed").length;
    summary.textContent =
      created.length + " uploaded" + (failed ? ", " + failed + " failed (see the list)" : "") + ".";
    running = false;
    button.disabled = false;
    if (created.length && window.htmx) {
      const known = document.getElementById("upload-results");
      const earlier =
        known && known.getAttribute("data-ids") ? known.getAttribute("data-ids").split(",") : [];
      const ids = [...created.map(String), ...earlier].join(",");
      window.htmx.ajax("GET", "/dataproducts/status/?ids=" + ids, {
        target: "#upload-results",
        swap: "outerHTML",
      });
    }
  });
})();
