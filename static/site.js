// Progressive enhancements only: every page works without this file.
"use strict";

// "Reply" moves the comment form under the comment being answered, instead
// of following the link to the form at the end of the page.
(function () {
  var respond = document.getElementById("respond");
  if (!respond) { return; }
  var form = respond.querySelector("form.comment-form");
  var parentField = document.getElementById("parent_id");
  var title = document.getElementById("respond-title");
  var cancel = respond.querySelector(".cancel-reply");
  var cancelLink = document.getElementById("cancel-reply");
  if (!form || !parentField || !title || !cancel || !cancelLink) { return; }

  var home = document.createElement("div");
  home.id = "respond-home";
  respond.parentNode.insertBefore(home, respond);
  var originalTitle = "Ask a question or leave a comment";

  function replyTo(link) {
    var comment = document.getElementById("comment-" + link.dataset.replyTo);
    if (!comment) { return false; }
    var card = comment.querySelector(".comment-card");
    card.parentNode.insertBefore(respond, card.nextSibling);
    parentField.value = link.dataset.replyTo;
    title.textContent = "Reply to " + link.dataset.replyName;
    cancel.hidden = false;
    respond.classList.add("replying");
    document.getElementById("body").focus();
    return true;
  }

  function cancelReply() {
    home.parentNode.insertBefore(respond, home.nextSibling);
    parentField.value = "";
    title.textContent = originalTitle;
    cancel.hidden = true;
    respond.classList.remove("replying");
  }

  // A second press of the button while the first is on its way would send
  // the same form twice; its one-use token would refuse the second.
  form.addEventListener("submit", function () {
    var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
  // Coming back to the page from the history gives the buttons back.
  window.addEventListener("pageshow", function () {
    var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.reply-link");
    if (link && replyTo(link)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("#cancel-reply")) {
      event.preventDefault();
      cancelReply();
    }
  });
})();

// A comment longer than the limit is refused with its text kept; the counter
// says so before sending, once the text nears the limit (nothing is cut).
(function () {
  var body = document.getElementById("body");
  var count = document.getElementById("body-count");
  if (!body || !count || !body.dataset.maxChars) { return; }
  var max = parseInt(body.dataset.maxChars, 10);
  function update() {
    var length = Array.from(body.value).length;
    if (length < max * 0.9) {
      count.hidden = true;
      return;
    }
    count.hidden = false;
    count.classList.toggle("over", length > max);
    count.textContent = length > max
      ? (length - max) + " characters over the limit of " + max + ": please shorten your comment."
      : (max - length) + " characters left.";
  }
  body.addEventListener("input", update);
  update();
})();

// While the reader types, the server checks the text for emergency signs and
// personal details (the same checks it makes when the comment is sent), and
// what it finds is shown beside the box: what to do now, or what would be
// public. Nothing is stored; without JavaScript the checks happen on sending.
(function () {
  var body = document.getElementById("body");
  var box = document.getElementById("typing-check");
  var name = document.getElementById("author_name");
  if (!body || !box || !window.fetch) { return; }
  var timer = null;
  var sent = "";
  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function show(found) {
    box.replaceChildren();
    if (found.safety) {
      var safety = element("section", null, "safety-notice");
      safety.appendChild(element("h3", "Please don't wait for an answer here"));
      found.safety.signs.forEach(function (sign) {
        var p = element("p");
        p.appendChild(element("strong", sign.title + ". "));
        p.appendChild(document.createTextNode(sign.notice));
        safety.appendChild(p);
      });
      var list = element("ul", null, "helplines");
      found.safety.helplines.forEach(function (line) {
        var item = element("li", line.name + ": ");
        var call = element("a", line.number);
        call.href = "tel:" + line.number.replace(/ /g, "");
        item.appendChild(call);
        list.appendChild(item);
      });
      safety.appendChild(list);
      box.appendChild(safety);
    }
    if (found.personal.length) {
      var personal = element("div", null, "personal-found");
      personal.appendChild(element("p", "This would be public once your comment is published:"));
      var items = element("ul");
      found.personal.forEach(function (detail) {
        var item = element("li", detail.label + ": ");
        item.appendChild(element("mark", detail.text));
        items.appendChild(item);
      });
      personal.appendChild(items);
      box.appendChild(personal);
    }
    box.hidden = !box.firstChild;
  }
  function check() {
    var text = body.value;
    if (text === sent) { return; }
    sent = text;
    var form = new URLSearchParams();
    form.set("body", text);
    form.set("author_name", name ? name.value : "");
    fetch("/comments/check", { method: "POST", body: form, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) { if (found && sent === text) { show(found); } })
      .catch(function () {});
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 600);
  });
})();

// After a refused submit, the summary of what to correct takes the focus, so
// that a screen reader reads it and the keyboard starts there.
(function () {
  var message = document.getElementById("form-message");
  if (!message) { return; }
  message.setAttribute("tabindex", "-1");
  // After the browser has scrolled to the form (`#respond`), which would
  // otherwise leave the focus where it was.
  if (document.readyState === "complete") {
    message.focus();
  } else {
    window.addEventListener("load", function () { message.focus(); });
  }
})();

// An old link to `/posts/{slug}#comment-N` whose comment is on a later page
// of the discussion: the server never sees the fragment, so ask it for the
// comment's page (`?comment=N` answers with a redirect there).
(function () {
  var match = /^#comment-(\d+)$/.exec(window.location.hash);
  var article = /^\/posts\/[^/]+/.exec(window.location.pathname);
  if (!match || !article || document.getElementById("comment-" + match[1])) { return; }
  // Once: a comment nobody may see is not on any page, and the server
  // sends such a link back to the article.
  var key = "sought-comment-" + match[1];
  try {
    if (window.sessionStorage.getItem(key)) { return; }
    window.sessionStorage.setItem(key, "1");
  } catch (e) { return; }
  window.location.replace(article[0] + "?comment=" + match[1]);
})();

// The desk's keys, WordPress-style: j/k move between comments, a/s/t
// approve, mark as spam or trash the selected one, r opens its reply box, and
// ? lists the keys. After an action the next comment is selected. Every
// action still works with the buttons alone.
(function () {
  if (!document.body.classList.contains("desk-page")) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll(".desk-row"));
  var help = document.getElementById("desk-keys");
  if (!rows.length) { return; }
  var current = -1;
  rows.forEach(function (row) { row.tabIndex = -1; });
  if (help) { help.hidden = false; }

  function select(index) {
    if (index < 0 || index >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("selected"); }
    current = index;
    rows[current].classList.add("selected");
    rows[current].focus();
  }

  function act(value) {
    if (current < 0) { return; }
    var button = rows[current].querySelector("button[name=action][value=" + value + "]");
    if (!button) { return; }
    try { window.sessionStorage.setItem("desk-next-row", String(current)); } catch (e) { /* no storage */ }
    button.click();
  }

  function reply() {
    if (current < 0) { return; }
    var box = rows[current].querySelector("details.reply-box");
    if (!box) { return; }
    box.open = true;
    var text = box.querySelector("textarea");
    if (text) { text.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.target.closest && event.target.closest("input, textarea, select, button, summary, [contenteditable]")) { return; }
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "a": act("approve"); break;
      case "s": act("spam"); break;
      case "t": act("trash"); break;
      case "r": reply(); break;
      case "?":
        if (help) { help.open = !help.open; }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // Back from an action: the comment that took the acted one's place.
  try {
    var next = window.sessionStorage.getItem("desk-next-row");
    if (next !== null) {
      window.sessionStorage.removeItem("desk-next-row");
      select(Math.min(parseInt(next, 10), rows.length - 1));
    }
  } catch (e) { /* no storage */ }
})();

// The article editor: Ctrl/Cmd+S saves (the first button: "Save draft", or
// "Update" when published), and a draft is saved to the server a few
// seconds after each change, carrying the revision it was based on. A save
// the server refuses (another save came first, a field to correct, the
// session ended) stops the autosave and says so; nothing typed is lost,
// since the page keeps it and the next save shows both versions.
(function () {
  var form = document.getElementById("article-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var save = form.querySelector(".form-actions button");
  var base = form.querySelector("input[name=base_revision]");
  var note = document.createElement("p");
  note.className = "autosave-note";
  note.setAttribute("role", "status");
  form.appendChild(note);

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      if (save) { save.click(); }
    }
  });

  var isDraft = save && save.value === "draft";
  var timer = null;
  var stopped = false;
  var saving = false;
  function autosave() {
    if (stopped) { return; }
    // One save at a time: the first of a new article creates it.
    if (saving) { timer = window.setTimeout(autosave, 1000); return; }
    saving = true;
    var data = new FormData(form);
    data.set("action", "draft");
    // getAttribute: the buttons named "action" hide the form's own property.
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected === false) { throw response.status; }
        // A new article is now at its own address: save there from now on.
        form.setAttribute("action", new URL(response.url).pathname);
        return response.text();
      })
      .then(function (html) {
        var match = html.match(/name="base_revision" value="(\d+)"/);
        if (match) { base.value = match[1]; }
        note.textContent = "Draft saved at " + new Date().toLocaleTimeString() + ".";
        saving = false;
      })
      .catch(function (status) {
        stopped = true;
        note.textContent = status === 409
          ? "This draft was saved elsewhere meanwhile: your text is kept here. Save draft to see both versions."
          : "The draft could not be saved automatically (signed out?): your text is kept here. Use Save draft.";
      });
  }
  if (isDraft) {
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(autosave, 3000);
    });
  }
})();

// The editor's live preview: on a wide screen, the article as readers will
// see it, beside the text, a moment after typing stops. The server renders
// it (the Preview button's own page, nothing stored); without JavaScript the
// Preview button shows the same.
(function () {
  var form = document.getElementById("article-form");
  if (!form || !window.fetch || !window.DOMParser || !window.matchMedia) { return; }
  if (!window.matchMedia("(min-width: 60rem)").matches) { return; }
  var wrapper = document.createElement("div");
  wrapper.className = "editor-with-preview";
  form.parentNode.insertBefore(wrapper, form);
  wrapper.appendChild(form);
  var pane = document.createElement("section");
  pane.className = "live-preview";
  pane.setAttribute("aria-labelledby", "live-preview-title");
  // It scrolls on its own: the keyboard must reach it too.
  pane.tabIndex = 0;
  var heading = document.createElement("h2");
  heading.id = "live-preview-title";
  heading.textContent = "Preview";
  var note = document.createElement("p");
  note.className = "live-preview-note";
  note.setAttribute("role", "status");
  var view = document.createElement("div");
  pane.appendChild(heading);
  pane.appendChild(note);
  pane.appendChild(view);
  wrapper.appendChild(pane);

  var timer = null;
  var latest = 0;
  function refresh() {
    var asked = ++latest;
    var data = new FormData(form);
    data.set("action", "preview");
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) { return { ok: response.ok, html: html }; });
      })
      .then(function (answer) {
        if (asked !== latest) { return; }
        var article = answer.ok && new DOMParser().parseFromString(answer.html, "text/html").querySelector("article.post");
        if (!article) {
          note.textContent = "No preview for now: a field needs attention (the Preview button shows which).";
          return;
        }
        note.textContent = "";
        view.replaceChildren(document.importNode(article, true));
      })
      .catch(function () {
        if (asked === latest) { note.textContent = "The preview could not be updated (signed out?)."; }
      });
  }
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 800);
  });
  refresh();
})();

// Pictures in the editor: image files dropped or pasted on the text are
// described in a small dialog (without a description nothing is sent),
// uploaded to the pictures, and the Markdown for each goes where the cursor
// is, even before the text is first saved. The upload form under the editor
// does the same without leaving the page. Without JavaScript that form
// uploads and the page comes back with the Markdown to paste.
(function () {
  var body = document.getElementById("body");
  var upload = document.getElementById("media-upload");
  if (!body || !upload || !document.getElementById("article-form") || !window.fetch || !window.FormData) { return; }
  var dialogSupported = typeof document.createElement("dialog").showModal === "function";
  var token = upload.querySelector("input[name=csrf_token]");
  var maxBytes = (parseInt(upload.dataset.maxMb, 10) || 25) * 1024 * 1024;
  var hint = document.getElementById("pictures-hint");
  var scriptedHint = document.getElementById("pictures-hint-scripted");
  if (hint && scriptedHint) {
    hint.hidden = true;
    scriptedHint.hidden = false;
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }
  // What happens to the pictures is said under the text and under the
  // upload form: progress politely, refusals at once.
  function notes(after, id) {
    var status = element("p", { id: id + "-status", role: "status", "class": "picture-note" });
    var alert = element("p", { id: id + "-error", role: "alert", "class": "picture-note field-error" });
    after.parentNode.insertBefore(alert, after.nextSibling);
    after.parentNode.insertBefore(status, after.nextSibling);
    return {
      progress: function (text) { status.textContent = text; alert.textContent = ""; },
      refused: function (text) { status.textContent = ""; alert.textContent = text; }
    };
  }
  var editorNotes = notes(body.closest(".field") || body, "picture-note");
  var formNotes = notes(upload.querySelector("button[type=submit]"), "media-upload-note");

  function megabytes(bytes) { return (bytes / (1024 * 1024)).toFixed(1) + " MB"; }
  function names(files) { return files.map(function (file) { return file.name || "picture"; }).join(", "); }
  function tooLarge(files) {
    return files.filter(function (file) { return file.size > maxBytes; }).map(function (file) {
      return (file.name || "The picture") + " is larger than " + megabytes(maxBytes) + " (" + megabytes(file.size) +
        "): scale it down first.";
    });
  }

  // Where the cursor was when the text was left (for the dialog or the
  // upload form), while the text stays as it was.
  var cursor = null;
  function remember() {
    cursor = { start: body.selectionStart, end: body.selectionEnd, text: body.value };
  }
  body.addEventListener("blur", remember);

  // The Markdown at the cursor (or in place of the selected words), as a
  // paragraph of its own; the editor's autosave and preview follow.
  function insert(markdown) {
    var kept = cursor && cursor.text === body.value;
    var start = kept ? cursor.start : body.selectionStart;
    var end = kept ? cursor.end : body.selectionEnd;
    var before = body.value.slice(0, start);
    var after = body.value.slice(end);
    var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var trail = /^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n");
    body.setRangeText(lead + markdown + trail, start, end, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Sends `data` to the pictures; resolves with the Markdown, or rejects
  // with the reasons, one line each. The text is never touched on failure.
  function send(data) {
    return fetch("/admin/media", {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        throw new Error("The pictures could not be uploaded (signed out?). Your text is kept here: save it, then sign in again.");
      }
      return response.json().then(function (answer) {
        if (response.ok && answer.markdown) { return answer.markdown; }
        var errors = answer.errors || {};
        var reasons = ["alt", "file", "caption"].filter(function (key) { return errors[key]; })
          .map(function (key) { return errors[key]; });
        throw new Error(reasons.join(" ") || "The pictures could not be uploaded.");
      });
    }, function () {
      throw new Error("The pictures could not be uploaded: the connection failed. Your text is kept here; try again.");
    });
  }

  function uploadFiles(files, alt, caption) {
    var data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    data.append("alt", alt);
    data.append("caption", caption);
    files.forEach(function (file) { data.append("file", file, file.name || "picture"); });
    editorNotes.progress("Uploading " + names(files) + "…");
    send(data).then(function (markdown) {
      insert(markdown);
      editorNotes.progress(files.length === 1
        ? "The picture is uploaded and its Markdown is in the text."
        : files.length + " pictures are uploaded and their Markdown is in the text.");
    }, function (error) {
      editorNotes.refused("Nothing was uploaded. " + error.message);
    });
  }

  // The dialog that asks what the pictures show.
  var dialog = null;
  var waiting = null;
  function buildDialog() {
    dialog = element("dialog", { "class": "picture-dialog", "aria-labelledby": "picture-dialog-title" });
    var form = element("form", { method: "post", action: "/admin/media", enctype: "multipart/form-data" });
    form.appendChild(element("input", { type: "hidden", name: "csrf_token", value: token ? token.value : "" }));
    form.appendChild(element("h2", { id: "picture-dialog-title" }, "Describe the picture"));
    form.appendChild(element("p", { id: "picture-dialog-files" }));
    var field = element("div", { "class": "field" });
    field.appendChild(element("label", { "for": "picture-alt" }, "What the picture shows"));
    field.appendChild(element("input", {
      id: "picture-alt", name: "alt", maxlength: "1000", "aria-required": "true",
      "aria-describedby": "picture-alt-hint picture-alt-error"
    }));
    field.appendChild(element("p", { "class": "hint", id: "picture-alt-hint" },
      "Read aloud to readers who cannot see it. Location data and other hidden details are removed from the file."));
    field.appendChild(element("p", { "class": "field-error", id: "picture-alt-error" }));
    form.appendChild(field);
    var caption = element("div", { "class": "field" });
    caption.appendChild(element("label", { "for": "picture-caption" }, "Caption (optional)"));
    caption.appendChild(element("input", { id: "picture-caption", name: "caption", maxlength: "1000" }));
    form.appendChild(caption);
    var actions = element("div", { "class": "form-actions" });
    actions.appendChild(element("button", { type: "submit" }, "Upload"));
    var cancel = element("button", { type: "button", "class": "secondary" }, "Don't upload");
    actions.appendChild(cancel);
    form.appendChild(actions);
    dialog.appendChild(form);
    document.body.appendChild(dialog);

    var alt = form.querySelector("#picture-alt");
    var error = form.querySelector("#picture-alt-error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var description = alt.value.trim();
      if (!description) {
        error.textContent = "Describe the picture for readers who cannot see it (for example “Magnesium tablets on a table”): without a description it is not uploaded.";
        alt.setAttribute("aria-invalid", "true");
        alt.focus();
        return;
      }
      var files = waiting;
      waiting = null;
      dialog.close();
      body.focus();
      uploadFiles(files, description, form.querySelector("#picture-caption").value.trim());
    });
    cancel.addEventListener("click", function () { dialog.close(); });
    // Escape, or "Don't upload": nothing is sent, and the note says why.
    dialog.addEventListener("close", function () {
      if (!waiting) { return; }
      waiting = null;
      body.focus();
      editorNotes.refused("Nothing was uploaded: a picture needs a description of what it shows, for readers who cannot see it.");
    });
  }

  function ask(files) {
    var refused = tooLarge(files);
    if (refused.length) {
      editorNotes.refused("Nothing was uploaded. " + refused.join(" "));
      return;
    }
    if (!dialogSupported) {
      editorNotes.refused("This browser cannot ask for the description here: choose the pictures in the form under the editor.");
      return;
    }
    if (!dialog) { buildDialog(); }
    if (dialog.open) { return; }
    remember();
    waiting = files;
    var alt = dialog.querySelector("#picture-alt");
    alt.value = "";
    alt.removeAttribute("aria-invalid");
    dialog.querySelector("#picture-caption").value = "";
    dialog.querySelector("#picture-alt-error").textContent = "";
    dialog.querySelector("#picture-dialog-title").textContent =
      files.length === 1 ? "Describe the picture" : "Describe the " + files.length + " pictures";
    dialog.querySelector("#picture-dialog-files").textContent = names(files);
    editorNotes.progress("");
    dialog.showModal();
    alt.focus();
  }

  function carriesFiles(transfer) {
    return !!transfer && Array.prototype.indexOf.call(transfer.types || [], "Files") >= 0;
  }
  body.addEventListener("dragover", function (event) {
    if (!carriesFiles(event.dataTransfer)) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  body.addEventListener("drop", function (event) {
    if (!carriesFiles(event.dataTransfer) || !event.dataTransfer.files.length) { return; }
    event.preventDefault();
    ask(Array.prototype.slice.call(event.dataTransfer.files));
  });
  // Pasted pictures; text copied from a document (which may come with a
  // picture of itself) is pasted as text.
  body.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    if (!data || !data.files || !data.files.length) { return; }
    if (Array.prototype.indexOf.call(data.types || [], "text/plain") >= 0) { return; }
    event.preventDefault();
    ask(Array.prototype.slice.call(data.files));
  });
  // A file dropped beside the text would make the browser leave the page
  // to show it, and the unsaved text with it.
  document.addEventListener("dragover", function (event) {
    if (carriesFiles(event.dataTransfer) && !event.target.closest("input[type=file]")) { event.preventDefault(); }
  });
  document.addEventListener("drop", function (event) {
    if (carriesFiles(event.dataTransfer) && !event.target.closest("input[type=file], #body")) {
      event.preventDefault();
      editorNotes.refused("Drop pictures on the text itself, where they should go.");
    }
  });

  // The upload form: the same upload, the Markdown where the cursor was.
  upload.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = upload.querySelector("input[type=file]");
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    var refused = tooLarge(files);
    if (refused.length) {
      formNotes.refused("Nothing was uploaded. " + refused.join(" "));
      return;
    }
    formNotes.progress("Uploading " + (files.length ? names(files) : "") + "…");
    send(new FormData(upload)).then(function (markdown) {
      insert(markdown);
      upload.reset();
      formNotes.progress((files.length === 1 ? "The picture is uploaded" : files.length + " pictures are uploaded") +
        " and the Markdown is in the text, where the cursor was.");
    }, function (error) {
      formNotes.refused("Nothing was uploaded. " + error.message);
    });
  });
})();
