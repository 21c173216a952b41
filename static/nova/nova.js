/* Nova's page behaviour on top of htmx: composing, ordering of live
 * messages, read receipts, local times and the live-connection state.
 * Everything here is an enhancement; every action also works as a plain
 * form post (P1). */
(function () {
  "use strict";

  let socket = null;
  let reportedReadId = 0;
  // The send form: what was sent, what was typed meanwhile, and whether
  // Enter was pressed while a message was on its way.
  let sentText = null;
  let draftText = null;
  let sendAfterSwap = false;
  let readTimer = null;
  let catchUpTimer = null;
  let typingSentAt = 0;
  const typistTimers = new Map();
  // A page of history on its way into the list, and where the reader
  // was (M7).
  let historySwap = null;

  // The open chat's message list, unless the user is no longer in that
  // chat (removed, left, disbanded: its composer says so, C7); such a
  // list is history to look at, with nothing to read or catch up on.
  function openMessageList() {
    const list = document.querySelector("[data-message-list]");
    if (!list) return null;
    const composer = document.getElementById("composer-" + list.dataset.chatId);
    return composer && composer.hasAttribute("data-chat-ended") ? null : list;
  }

  // A list opened at an older message stops short of the newest: live
  // messages do not belong at its end until paging reaches the newest.
  function isDetached(list) {
    return list.hasAttribute("data-detached");
  }

  // Paging newer reached the newest message: the list takes the id that
  // live messages are pushed to, and catches up on any that came since.
  function attachLive(list) {
    list.removeAttribute("data-detached");
    list.id = "messages-" + list.dataset.chatId;
    advanceCursor(list);
    catchUp(false);
  }

  // The newest message up to which the open list misses nothing. It moves
  // only along the chain of data-prev-id, so a message that arrives after
  // a gap (say, the tab's own, from the send response) does not hide it.
  function cursorOf(list) {
    return Number(list.dataset.cursor || 0);
  }

  // Move the cursor along the chain as far as the list now reaches, and
  // say whether messages past it remain (a gap). A message that merely
  // arrived late (two senders committing at once) closes its gap itself.
  function advanceCursor(list) {
    let cursor = cursorOf(list);
    let gap = false;
    for (const item of list.children) {
      const id = Number(item.dataset.messageId || 0);
      if (id <= cursor) continue;
      if (Number(item.dataset.prevId || 0) <= cursor) {
        cursor = id;
      } else {
        gap = true;
        break;
      }
    }
    list.dataset.cursor = cursor;
    return gap;
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  // Whether the reader is at the newest message. Only their scrolling
  // changes it, so a tall message arriving (or a day line drawn after it)
  // does not stop the list from following the newest.
  let followNewest = true;
  document.addEventListener("scroll", function (event) {
    const list = event.target;
    if (list instanceof Element && list.matches("[data-message-list]")) {
      followNewest = nearBottom(list);
    }
  }, true);

  function showNewest(list) {
    list.scrollTop = list.scrollHeight;
    // Again once htmx has settled and the page has laid the message out.
    requestAnimationFrame(function () { list.scrollTop = list.scrollHeight; });
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

  // Tell the server what this visible tab has shown (M7, M9): up to the
  // cursor, never past a gap, and at most a few times a second however
  // fast messages come.
  function reportRead() {
    if (readTimer) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      const list = openMessageList();
      if (!list || !socket || document.visibilityState !== "visible") return;
      const upTo = cursorOf(list);
      if (upTo > reportedReadId) {
        reportedReadId = upTo;
        socket.send(JSON.stringify({
          action: "read", chat: Number(list.dataset.chatId), up_to: upTo,
        }));
      }
    }, 300);
  }

  // Ask for what this tab may have missed: a fresh chat list and badges,
  // and the open chat's messages after the cursor (L3). After a gap, wait
  // a moment first: late messages usually fill it on their own.
  function catchUp(afterGap) {
    if (catchUpTimer) return;
    catchUpTimer = setTimeout(function () {
      catchUpTimer = null;
      if (!socket) return; // the next connection catches up anyway
      let list = openMessageList();
      if (list && isDetached(list)) list = null;
      if (afterGap && !(list && advanceCursor(list))) return;
      socket.send(JSON.stringify({
        action: "catch_up",
        chat: list ? Number(list.dataset.chatId) : null,
        after: list ? cursorOf(list) : null,
      }));
    }, afterGap ? 500 : 0);
  }

  // What the user folded or opened (friend groups, a friend's menu)
  // stays so when a push or an answer redraws the list around it.
  const detailsOpen = {};
  document.addEventListener("toggle", function (event) {
    const el = event.target;
    if (el instanceof HTMLDetailsElement && el.id) detailsOpen[el.id] = el.open;
  }, true);

  function restoreDetails() {
    document.querySelectorAll("details[id]").forEach(function (el) {
      if (el.id in detailsOpen && el.open !== detailsOpen[el.id]) {
        el.open = detailsOpen[el.id];
      }
    });
  }

  // Day separators in the viewer's time zone (M3). The server draws them
  // in its own zone for pages without scripts; here they are redrawn
  // whenever the list changes (live messages, older pages, catch-ups).
  function drawDays() {
    const list = openMessageList();
    if (!list) return;
    list.querySelectorAll(":scope > .day-separator").forEach(function (el) {
      el.remove();
    });
    let last = "";
    list.querySelectorAll(":scope > .message[data-created]").forEach(function (item) {
      const when = new Date(item.dataset.created);
      if (isNaN(when) || when.toDateString() === last) return;
      last = when.toDateString();
      const separator = document.createElement("li");
      separator.className = "day-separator";
      const label = document.createElement("span");
      label.textContent = when.toLocaleDateString([], {
        weekday: "short", year: "numeric", month: "long", day: "numeric",
      });
      separator.appendChild(label);
      item.before(separator);
    });
  }

  function refresh(root) {
    localiseTimes(root || document);
    drawDays();
    syncTitle();
    markActiveRow();
    restoreDetails();
  }

  // The message menu (M4). Its button is a link to the message's page
  // of actions; here it loads those actions into a menu beside it
  // instead. Right click opens it too; Escape closes it, arrows move.
  let openMenu = null;

  function menuItems(menu) {
    return Array.from(menu.querySelectorAll("[role=menuitem]"));
  }

  function closeMenu(focusButton) {
    if (!openMenu) return;
    const menu = openMenu;
    const button = menu.previousElementSibling;
    openMenu = null;
    menu.hidden = true;
    menu.replaceChildren();
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  }

  function showMenu(button) {
    closeMenu(false);
    const menu = button.nextElementSibling;
    openMenu = menu;
    button.setAttribute("aria-expanded", "true");
    htmx.ajax("GET", button.getAttribute("href"), { target: menu, swap: "innerHTML" })
      .then(function () {
        if (openMenu !== menu) return;
        menu.hidden = false;
        const first = menuItems(menu)[0];
        if (first) first.focus();
      });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-message-menu]");
    if (button) {
      event.preventDefault();
      if (openMenu === button.nextElementSibling) closeMenu(true);
      else showMenu(button);
    } else if (openMenu && !openMenu.contains(event.target)) {
      closeMenu(false);
    }
  });

  document.addEventListener("contextmenu", function (event) {
    const message = event.target.closest(".message[data-message-id]");
    // A link keeps the browser's own menu (open in a new tab, copy).
    if (!message || event.target.closest("a[href]:not([data-message-menu])")) return;
    const button = message.querySelector("[data-message-menu]");
    if (!button) return;
    event.preventDefault();
    showMenu(button);
  });

  document.addEventListener("keydown", function (event) {
    if (!openMenu) return;
    if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
      return;
    }
    const items = menuItems(openMenu);
    const moves = { ArrowDown: 1, ArrowUp: -1, Home: 0, End: 0 };
    if (!items.length || !(event.key in moves)) return;
    event.preventDefault();
    let index = items.indexOf(document.activeElement);
    if (event.key === "Home") index = 0;
    else if (event.key === "End") index = items.length - 1;
    else index = (index + moves[event.key] + items.length) % items.length;
    items[index].focus();
  });

  // Whatever a menu item asked for, the menu has done its part.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (openMenu && openMenu.contains(event.detail.elt)) closeMenu(false);
  });

  // A reply's quote jumps to its original and marks it (M5). An original
  // further back is looked for in older pages, a page at a time, up to
  // a few; further still, the chat opens at it (its permalink).
  const JUMP_PAGES = 10;
  let pendingJump = null;

  function jumpTo(id, permalink, pagesLeft) {
    pendingJump = null;
    followNewest = false;
    const target = document.getElementById("message-" + id);
    if (target) {
      if (target.hidden) return; // deleted for this member: nothing to show
      document.querySelectorAll(".message-focus").forEach(function (el) {
        el.classList.remove("message-focus");
      });
      target.classList.add("message-focus");
      target.scrollIntoView({ block: "center" });
      return;
    }
    const list = openMessageList();
    const older = list && list.querySelector("[data-history=older] a");
    if (!older || pagesLeft <= 0) {
      window.location.assign(permalink);
      return;
    }
    pendingJump = { id: id, permalink: permalink, pagesLeft: pagesLeft - 1 };
    htmx.trigger(older, "click");
  }

  document.addEventListener("click", function (event) {
    const quote = event.target.closest("a[data-quote-of]");
    if (!quote || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    jumpTo(Number(quote.dataset.quoteOf), quote.href, JUMP_PAGES);
  });

  function showLiveState(state, words) {
    const status = document.getElementById("live-status");
    if (!status) return;
    status.dataset.state = state;
    status.title = "Live updates: " + words;
    status.firstElementChild.textContent = "Live updates: " + words;
    const banner = document.getElementById("offline-banner");
    if (banner) {
      banner.textContent = state === "closed"
        ? "You are offline. Reconnecting…" : "";
    }
  }

  function showError(text) {
    const region = document.getElementById("live-error");
    if (!region) return;
    region.textContent = text;
    region.className = text ? "live-error alert alert-warning py-1 px-2" : "live-error";
  }

  // After a drop, try again soon: at most five seconds apart, with jitter
  // so a restarted server is not met by every tab at the same instant.
  // A socket that keeps closing right after it opens backs off too.
  let openedAt = 0;
  let quickCloses = 0;
  htmx.config.wsReconnectDelay = function (retryCount) {
    const tries = Math.max(retryCount, quickCloses);
    const ceiling = Math.min(500 * Math.pow(2, tries), quickCloses > 2 ? 30000 : 5000);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  };
  // Pages come from the server each time; keep no copies in storage.
  htmx.config.historyCacheSize = 0;
  // A refused form (422) is swapped in, to show its errors.
  htmx.config.responseHandling.unshift({ code: "422", swap: true });

  // A request that fails says why; what was typed stays put.
  document.addEventListener("htmx:sendError", function () {
    showError("Nova could not be reached. Nothing was lost; try again in a moment.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    if (status === 403) {
      showError("This page is out of date. Reload it, then try again.");
    } else if (status === 404) {
      showError("That is no longer there. Reload the page to see what is.");
    } else if (status === 400 || status === 413) {
      showError("Nova could not accept that: it was too large or malformed.");
    } else {
      showError("Something went wrong on the server. Try again in a moment.");
    }
  });

  // Enter sends, Shift+Enter breaks the line (M1). On touch screens Enter
  // breaks the line and the Send button sends, as phone keyboards expect.
  const touchOnly = window.matchMedia("(pointer: coarse)").matches;
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || touchOnly) return;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-enter-sends")) return;
    event.preventDefault();
    if (!field.value.trim()) return;
    // One message at a time: Enter while one is on its way sends the new
    // text right after it.
    if (field.form.classList.contains("htmx-request")) sendAfterSwap = true;
    else field.form.requestSubmit();
  });

  // A draft is kept in this tab's session storage until it is sent, so a
  // reload, a log-in after an expired session or a crash loses nothing.
  function draftKey(field) {
    return "nova:draft:" + document.body.dataset.userId + ":" +
      field.form.getAttribute("action");
  }

  // Logging out leaves no draft behind for the next person at this browser.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("[data-log-out]")) return;
    Object.keys(sessionStorage).forEach(function (key) {
      if (key.indexOf("nova:draft:") === 0) sessionStorage.removeItem(key);
    });
  });

  function saveDraft(field) {
    if (field.value) sessionStorage.setItem(draftKey(field), field.value);
    else sessionStorage.removeItem(draftKey(field));
  }

  function restoreDraft() {
    const field = document.querySelector("#send-form textarea");
    if (!field || field.value) return;
    field.value = sessionStorage.getItem(draftKey(field)) || "";
  }

  document.addEventListener("input", function (event) {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-enter-sends")) return;
    saveDraft(field);
    reportTyping(field);
  });

  // Tell the chat's other members that this person is typing (M10): at
  // most one frame every three seconds, however fast they type. The
  // server forgets it; their tabs drop the line after five silent seconds.
  function reportTyping(field) {
    const list = openMessageList();
    if (!socket || !list || !field.value.trim()) return;
    if (Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    socket.send(JSON.stringify({ action: "typing", chat: Number(list.dataset.chatId) }));
  }

  function showTypists(box, typists) {
    typists.forEach(function (typist) {
      typist.remove();
      const current = document.getElementById(typist.id);
      if (current) current.replaceWith(typist);
      else box.appendChild(typist);
      clearTimeout(typistTimers.get(typist.id));
      typistTimers.set(typist.id, setTimeout(dropTypist, 5000, typist.id));
    });
  }

  function dropTypist(id) {
    clearTimeout(typistTimers.get(id));
    typistTimers.delete(id);
    const shown = document.getElementById(id);
    if (shown) shown.remove();
  }

  // The send form is replaced by the server's answer. Text typed while
  // the message was on its way is moved into the new form, not lost.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id !== "send-form") return;
    sentText = event.detail.elt.querySelector("textarea").value;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "send-form") return;
    const typed = event.detail.target.querySelector("textarea").value;
    if (event.detail.requestConfig.elt.id !== "send-form") {
      // Reply, or cancel a reply: a fresh form, the same draft.
      draftText = typed;
      return;
    }
    const refused = event.detail.xhr.status === 422;
    if (refused || typed === sentText) {
      // Refused: the answer holds the sent text and its error; anything
      // typed since is kept instead, as it includes the sent text.
      draftText = refused && typed !== sentText ? typed : null;
    } else {
      // Sent: keep only what was typed after it.
      draftText = typed.indexOf(sentText) === 0 ? typed.slice(sentText.length) : typed;
    }
  });

  // A small form whose answer lands elsewhere (a new friend group) is
  // emptied once it went through.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (event.detail.successful && form.matches("form[data-reset-after-send]")) {
      form.reset();
    }
  });

  // A send that failed outright (no answer, an error) swaps nothing; its
  // text is still in the form, and nothing is to be sent after it.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.id !== "send-form" || event.detail.successful) return;
    sentText = null;
    sendAfterSwap = false;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "send-form") return;
    const field = document.querySelector("#send-form textarea");
    if (!field) return;
    if (draftText !== null) field.value = draftText;
    draftText = null;
    saveDraft(field);
    // Sent from a list opened further back: the new message is at the
    // newest end, so go there to see it.
    const list = openMessageList();
    if (event.detail.xhr.status === 200 && list && isDetached(list)) {
      window.location.assign(list.dataset.newestUrl);
      return;
    }
    field.focus();
    if (sendAfterSwap && field.value.trim()) field.form.requestSubmit();
    sendAfterSwap = false;
  });

  function isOlder(incoming, current) {
    return "version" in incoming.dataset && "version" in current.dataset &&
      Number(incoming.dataset.version) < Number(current.dataset.version);
  }

  // Chat-list rows, pushed or caught up, go where their sort key says
  // (descending), replacing an older version of themselves and never a
  // newer one.
  function fileRows(list, rows) {
    const marker = rows.find(function (el) { return el.matches("[data-complete-list]"); });
    if (marker) {
      // A catch-up's whole list: a row it lacks is a chat that ended or
      // was left while this tab was away (L3).
      marker.remove();
      rows = rows.filter(function (el) { return el !== marker; });
      const kept = new Set(rows.map(function (row) { return row.id; }));
      list.querySelectorAll(":scope > .chat-row").forEach(function (row) {
        if (!kept.has(row.id)) row.remove();
      });
    }
    rows.forEach(function (row) {
      row.remove();
      const current = document.getElementById(row.id);
      if (current && !isOlder(current, row)) return;
      if (current) current.remove();
      const after = Array.from(list.children).find(function (el) {
        return (el.dataset.sort || "") < row.dataset.sort;
      });
      list.insertBefore(row, after || null);
      htmx.process(row);
      localiseTimes(row);
    });
  }

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
        const target = document.querySelector(selector);
        // Updates can overtake each other; an older version never wins.
        if (!target || isOlder(element, target)) element.remove();
      });
      return template.innerHTML;
    },
  });

  // Live messages go in id order and never twice, whether they come from
  // the socket, the send response, a catch-up, or several of these (L3).
  // A message whose predecessor this list has not seen reveals a gap,
  // which a catch-up fills. A whole new list (a catch-up after a long
  // absence) is left to htmx to swap in.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const list = event.detail.target;
    // A new avatar (A3) names every picture of its user; each keeps its
    // own size and place and takes only the new address.
    if (list.matches("img[data-avatar-of]")) {
      list.src = event.detail.fragment.firstElementChild.getAttribute("src");
      event.detail.shouldSwap = false;
      return;
    }
    if (list.hasAttribute("data-chat-list")) {
      fileRows(list, Array.from(event.detail.fragment.children));
      return;
    }
    if (list.hasAttribute("data-typing")) {
      showTypists(list, Array.from(event.detail.fragment.children));
      return;
    }
    if (!list.hasAttribute("data-message-list")) return;
    const items = Array.from(event.detail.fragment.children).filter(function (el) {
      return el.dataset && el.dataset.messageId;
    });
    if (!items.length) return;
    const follow = followNewest || nearBottom(list);
    items.forEach(function (item) {
      item.remove();
      const id = Number(item.dataset.messageId);
      if (document.getElementById(item.id)) return;
      const later = Array.from(list.children).find(function (el) {
        return Number(el.dataset.messageId) > id;
      });
      list.insertBefore(item, later || null);
      htmx.process(item);
      localiseTimes(item);
      // Their message is here: they are no longer typing it.
      dropTypist("typist-" + list.dataset.chatId + "-" + item.dataset.senderId);
    });
    if (follow) showNewest(list);
    if (advanceCursor(list)) catchUp(true);
  });

  // On every (re)connect, catch up on what happened while this tab loaded
  // or was offline.
  document.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    openedAt = Date.now();
    reportedReadId = 0;
    showLiveState("open", "connected");
    showError("");
    catchUp(false);
  });

  // A tab that is already going somewhere (it posted a log-out or an
  // account deletion, which end its own session) follows that answer,
  // and the message it brings, rather than the socket's news.
  // A page still here seconds later was not left after all.
  let leaving = false;
  window.addEventListener("beforeunload", function () {
    leaving = true;
    setTimeout(function () { leaving = false; }, 5000);
  });

  document.addEventListener("htmx:wsClose", function (event) {
    socket = null;
    quickCloses = Date.now() - openedAt < 3000 ? quickCloses + 1 : 0;
    showLiveState("closed", "offline, reconnecting");
    // 4001: this session ended (logged out elsewhere, A4); 4401: it was
    // never logged in, or the page belongs to another user.
    const code = event.detail.event.code;
    if ((code === 4001 || code === 4401) && !leaving) {
      const back = encodeURIComponent(window.location.pathname);
      window.location.assign(document.body.dataset.loginUrl + "?next=" + back);
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    drawDays();
    syncTitle();
    markActiveRow();
    restoreDetails();
    reportRead();
  });

  // Older history replaces the "Older messages" link at the top of the
  // list; keep the reader where they were. Newer history replaces the
  // link at the bottom; once none is left the list has reached the newest.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const link = event.detail.target;
    const list = link.closest && link.matches("[data-history]") &&
      link.closest("[data-message-list]");
    if (!list) return;
    historySwap = { link: link, list: list, fromBottom: list.scrollHeight - list.scrollTop };
  });

  // htmx reports the swap on each new element; the first report does all.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!historySwap || event.detail.target !== historySwap.link) return;
    const list = historySwap.list;
    if (historySwap.link.dataset.history === "older") {
      list.scrollTop = list.scrollHeight - historySwap.fromBottom;
    }
    historySwap = null;
    localiseTimes(list);
    drawDays();
    if (pendingJump) {
      const jump = pendingJump;
      // Let htmx finish this swap before asking for the next page.
      setTimeout(function () { jumpTo(jump.id, jump.permalink, jump.pagesLeft); }, 0);
    }
    if (isDetached(list) && !list.querySelector("[data-history=newer]")) {
      attachLive(list);
    } else {
      advanceCursor(list);
    }
    reportRead();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    refresh(event.detail.elt);
    const list = openMessageList();
    if (list && followNewest && !historySwap) list.scrollTop = list.scrollHeight;
  });

  document.addEventListener("visibilitychange", reportRead);

  document.addEventListener("DOMContentLoaded", function () {
    refresh(document);
    restoreDraft();
    // Dates asked for (jump to a date, search) mean this browser's days.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
    const list = openMessageList();
    if (!list || window.location.hash) return;
    const focus = list.dataset.focusId &&
      document.getElementById("message-" + list.dataset.focusId);
    if (focus) {
      // A permalink or a date: show that message, marked (M8).
      focus.classList.add("message-focus");
      focus.scrollIntoView({ block: "center" });
      followNewest = false;
    } else {
      list.scrollTop = list.scrollHeight;
    }
  });
})();
