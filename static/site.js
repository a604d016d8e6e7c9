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
