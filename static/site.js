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
