/* Nova's page behaviour on top of htmx: composing, ordering of live
 * messages, read receipts, local times and the live-connection state.
 * Everything here is an enhancement; every action also works as a plain
 * form post (P1). */
(function () {
  "use strict";

  let socket = null;
  let reportedReadId = 0;

  function openMessageList() {
    return document.querySelector("[data-message-list]");
  }

  function lastMessageId(list) {
    const items = list.querySelectorAll("[data-message-id]");
    return items.length ? Number(items[items.length - 1].dataset.messageId) : 0;
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  // Times are sent in UTC; show them in the viewer's time zone (P3).
  function localiseTimes(root) {
    const now = new Date();
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      const sameDay = when.toDateString() === now.toDateString();
      const style = el.dataset.localTime;
      el.textContent = style === "short" && !sameDay
        ? when.toLocaleDateString([], { month: "short", day: "numeric" })
        : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      el.title = when.toLocaleString();
    });
  }

  // The page title carries the total unread count (C1).
  function syncTitle() {
    const badge = document.getElementById("nav-unread");
    if (!badge) return;
    const total = Number(badge.dataset.total || 0);
    const base = document.title.replace(/^\(\d+\)\s*/, "");
    document.title = total > 0 ? "(" + total + ") " + base : base;
  }

  // Mark the open chat's row in the list, also after a live update.
  function markActiveRow() {
    const list = openMessageList();
    const open = list ? list.dataset.chatId : null;
    document.querySelectorAll(".chat-row").forEach(function (row) {
      const link = row.querySelector("a");
      if (open && row.dataset.chatId === open) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  // Tell the server what this visible tab has shown (M7, M9).
  function reportRead() {
    const list = openMessageList();
    if (!list || !socket || document.visibilityState !== "visible") return;
    const upTo = lastMessageId(list);
    if (upTo > reportedReadId) {
      reportedReadId = upTo;
      socket.send(JSON.stringify({ action: "read", chat: Number(list.dataset.chatId), up_to: upTo }));
    }
  }

  function refresh(root) {
    localiseTimes(root || document);
    syncTitle();
    markActiveRow();
  }

  function showLiveState(state, words) {
    const status = document.getElementById("live-status");
    if (!status) return;
    status.dataset.state = state;
    status.title = "Live updates: " + words;
    status.firstElementChild.textContent = "Live updates: " + words;
  }

  function showError(text) {
    const region = document.getElementById("live-error");
    if (!region) return;
    region.textContent = text;
    region.className = text ? "live-error alert alert-warning py-1 px-2" : "live-error";
  }

  // After a drop, try again soon: at most five seconds apart, with jitter
  // so a restarted server is not met by every tab at the same instant.
  htmx.config.wsReconnectDelay = function (retryCount) {
    const ceiling = Math.min(500 * Math.pow(2, retryCount), 5000);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };

  // A request that never reached the server says so; the text stays put.
  document.addEventListener("htmx:sendError", function () {
    showError("Nova could not be reached. Nothing was lost; try again in a moment.");
  });
  document.addEventListener("htmx:responseError", function () {
    showError("Something went wrong on the server. Try again in a moment.");
  });

  // Enter sends, Shift+Enter breaks the line (M1). On touch screens Enter
  // breaks the line and the Send button sends, as phone keyboards expect.
  const touchOnly = window.matchMedia("(pointer: coarse)").matches;
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || touchOnly) return;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-enter-sends")) return;
    event.preventDefault();
    if (field.value.trim()) field.form.requestSubmit();
  });

  // The send form is replaced by the server's answer. Text typed while
  // the message was on its way is moved into the new form, not lost.
  let sentText = null;
  let draftText = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id !== "send-form") return;
    sentText = event.detail.elt.querySelector("textarea").value;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "send-form") return;
    const typed = event.detail.target.querySelector("textarea").value;
    draftText = typed !== sentText ? typed : null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "send-form") return;
    const field = document.querySelector("#send-form textarea");
    if (!field) return;
    if (draftText !== null) field.value = draftText;
    draftText = null;
    field.focus();
  });

  // A push names every place it may update; a page shows only some of
  // them (the chat list is not on the friends page). Out-of-band elements
  // whose target is not on this page are dropped before htmx sees them.
  htmx.defineExtension("nova-live", {
    transformResponse: function (text) {
      if (text.indexOf("hx-swap-oob") === -1) return text;
      const template = document.createElement("template");
      template.innerHTML = text;
      Array.from(template.content.children).forEach(function (element) {
        const how = element.getAttribute("hx-swap-oob");
        if (!how) return;
        const at = how.indexOf(":");
        const selector = at > 0 ? how.slice(at + 1) : "#" + CSS.escape(element.id);
        if (!document.querySelector(selector)) element.remove();
      });
      return template.innerHTML;
    },
  });

  // Live messages go in id order and never twice, whether they come from
  // the socket, the send response, or both (L3).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const list = event.detail.target;
    if (!list.hasAttribute("data-message-list")) return;
    const follow = nearBottom(list);
    Array.from(event.detail.fragment.children).forEach(function (item) {
      item.remove();
      const id = Number(item.dataset.messageId);
      if (!id || document.getElementById(item.id)) return;
      const later = Array.from(list.children).find(function (el) {
        return Number(el.dataset.messageId) > id;
      });
      list.insertBefore(item, later || null);
      htmx.process(item);
      localiseTimes(item);
    });
    if (follow) list.scrollTop = list.scrollHeight;
  });

  // On every (re)connect, ask for what this tab may have missed while it
  // loaded or was offline: a fresh chat list and badges, and the open
  // chat's messages after the newest one shown (L3).
  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    reportedReadId = 0;
    showLiveState("open", "connected");
    showError("");
    const list = openMessageList();
    socket.send(JSON.stringify({
      action: "catch_up",
      chat: list ? Number(list.dataset.chatId) : null,
      after: list ? lastMessageId(list) : null,
    }));
  });

  document.addEventListener("htmx:wsClose", function (event) {
    socket = null;
    showLiveState("closed", "offline, reconnecting");
    // 4001: this session was logged out elsewhere (A4).
    if (event.detail.event.code === 4001) {
      window.location.assign(document.body.dataset.loginUrl);
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    refresh(document);
    reportRead();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    refresh(event.detail.elt);
  });

  document.addEventListener("visibilitychange", reportRead);

  document.addEventListener("DOMContentLoaded", function () {
    refresh(document);
    const list = openMessageList();
    if (list && !window.location.hash) list.scrollTop = list.scrollHeight;
  });
})();
