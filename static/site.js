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
