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

  // Enter sends, Shift+Enter breaks the line (M1).
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-enter-sends")) return;
    event.preventDefault();
    if (field.value.trim()) field.form.requestSubmit();
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
    document.getElementById("live-status")?.setAttribute("data-state", "open");
    const list = openMessageList();
    socket.send(JSON.stringify({
      action: "catch_up",
      chat: list ? Number(list.dataset.chatId) : null,
      after: list ? lastMessageId(list) : null,
    }));
  });

  document.addEventListener("htmx:wsClose", function (event) {
    socket = null;
    const status = document.getElementById("live-status");
    status?.setAttribute("data-state", "closed");
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
