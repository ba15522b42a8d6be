// The rating page, keyboard first. The server is the record: the draft is saved there as the annotator
// goes (debounced PUT), and a copy stays in sessionStorage until the server has it, so neither a reload
// nor an expired session loses work. A submit carries an idempotency key made once per attempt and
// reused on retry, so a double Enter or a retried request stores one rating.
// Three kinds of page: likert (a score per axis), pairwise (one verdict about two responses shown left and
// right; the server turns left/right into the item's A/B) and exam (the choices picked, "3" or "5,3": as many
// as the question asks for, in the order picked; its choices are the verdict buttons, picked by the number keys
// or typed by their labels in the label box). Either may have a checklist of optional ticks; on a
// pair each point is answered for each response ({"left": yes/no, "right": yes/no}, again turned into A/B by
// the server). The keyboard moves through "stops": the axes or the verdict, then the checklist points; on a
// pair's point, ← → (or Tab) pick the response the tick is for.
(function () {
  "use strict";

  var root = document.querySelector("[data-rate]");
  if (!root) return;

  var SAVE_DELAY_MS = 700;      // debounce: one draft request per pause in the annotator's input
  var RETRY_MS = 10000;         // how often to try again after a failed save (offline, signed out)
  var TWO_DIGIT_WAIT_MS = 800;  // on axes that go to 10 or more, time to type a second digit

  var form = root.querySelector("[data-rate-form]");
  var axes = Array.prototype.map.call(root.querySelectorAll("[data-axis]"), function (element) {
    return {
      element: element,
      key: element.getAttribute("data-axis"),
      turn: element.getAttribute("data-turn"),  // a campaign that scores each turn: "1", "2", ...; else null
      label: element.getAttribute("data-label"),
      min: parseInt(element.getAttribute("data-min"), 10),
      max: parseInt(element.getAttribute("data-max"), 10),
      buttons: Array.prototype.slice.call(element.querySelectorAll("button[data-score]"))
    };
  });
  var verdictGroup = root.querySelector("[data-verdicts]");
  var verdictButtons = Array.prototype.slice.call(root.querySelectorAll("button[data-verdict]"));
  // An exam question that takes several choices: each digit adds one, in order (pressing a picked one takes it
  // back); on a full answer another digit starts again.
  var answersWanted = verdictGroup ? parseInt(verdictGroup.getAttribute("data-answers") || "1", 10) : 1;
  var answerShown = root.querySelector("[data-answer-shown]");
  // An exam question's label box: a choice typed by its label (ア, a, ③) or number, then Enter; L goes there.
  var typedAnswer = root.querySelector("[data-answer-typed]");
  var checkButtons = Array.prototype.slice.call(root.querySelectorAll("button[data-check]"));
  var checkPoints = Array.prototype.slice.call(root.querySelectorAll("[data-check-point]"));
  var stops = axes.map(function (axis, index) { return { type: "axis", index: index, element: axis.element }; });
  if (verdictGroup) stops.push({ type: "verdict", element: verdictGroup });
  var firstCheckStop = stops.length;
  checkPoints.forEach(function (point) {
    // A likert point has one button; a pair's point one per response, left then right.
    stops.push({ type: "check", id: point.getAttribute("data-check-point"), element: point,
                 buttons: Array.prototype.slice.call(point.querySelectorAll("button[data-check]")) });
  });
  var comment = root.querySelector("[data-comment]");
  var statusLine = root.querySelector("[data-status]");
  var timerLine = root.querySelector("[data-timer]");
  var flagList = root.querySelector("[data-flag-list]");
  var expiredNotice = root.querySelector("[data-session-expired]");
  var skipDialog = root.querySelector("[data-skip-dialog]");
  var flagDialog = root.querySelector("[data-flag-dialog]");
  var helpPanel = document.getElementById("keyboard-help-keys");
  var helpToggle = root.querySelector("[data-toggle-help]");
  var rawToggle = root.querySelector("[data-toggle-raw]");
  var text = root.querySelector("[data-messages]").dataset;
  var urls = root.dataset;
  var isFinal = urls.final === "true";
  var isRevision = urls.revising === "true";
  var storageKey = "hyoka:item:" + urls.itemId;
  var RAW_KEY = "hyoka:raw-text";  // the texts shown as stored rather than formatted, kept for the tab

  // scores: axis → score, or in a campaign that scores each turn turn → {axis → score} (as the server takes them).
  var state = { scores: {}, verdict: "", checks: {}, comment: "", flags: [], seconds: 0 };
  var current = 0;            // the stop the keyboard is on
  var axisIndex = 0;          // the current axis (likert): digits score it even from the checklist
  var checkSide = 0;          // on a pair's checklist point, the response the keys answer for: 0 left, 1 right
  var unsaved = false;        // the server does not have the latest state yet
  var version = 0;            // bumped on every change, to tell whether a save in flight is still the latest
  var saveTimer = null;
  var retryTimer = null;
  var savingNow = null;       // the draft request in flight, if any
  var submitKey = null;       // idempotency key of the current submit attempt
  var submitting = false;
  var rated = false;          // stored on the server; what is left is moving on
  var digitBuffer = null;

  // A score of an axis (of its turn, when turns are scored one by one) -------------------------------------

  function scoresOf(axis) {
    if (axis.turn === null) return state.scores;
    if (typeof state.scores[axis.turn] !== "object" || state.scores[axis.turn] === null) state.scores[axis.turn] = {};
    return state.scores[axis.turn];
  }

  function scoreOf(axis) {
    var given = axis.turn === null ? state.scores : state.scores[axis.turn];
    return given && typeof given === "object" ? given[axis.key] : undefined;
  }

  // Time on the item: counted only while the page is visible -------------------------------------------

  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;

  function secondsSpent() {
    var running = visibleSince === null ? 0 : (Date.now() - visibleSince) / 1000;
    return Math.round(state.seconds + running);
  }

  function pauseClock() {
    if (visibleSince === null) return;
    state.seconds += (Date.now() - visibleSince) / 1000;
    visibleSince = null;
  }

  function showTime() {
    var total = secondsSpent();
    var seconds = total % 60;
    timerLine.textContent = Math.floor(total / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  // Requests ----------------------------------------------------------------------------------------------

  function csrfToken() {
    // Signing in again (in another tab) rotates the token, so read the cookie on every request.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : form.querySelector("[name=csrfmiddlewaretoken]").value;
  }

  function send(method, url, body, keepalive) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function isSignedOut(response) {
    // DRF answers 403 (session auth) or 401 for a request without a live session; a stale CSRF token is 403 too.
    return response.status === 401 || response.status === 403;
  }

  function errorDetail(response) {
    return response.json().then(function (body) {
      if (body && body.detail) return body.detail;
      return Object.keys(body || {}).map(function (field) { return field + ": " + body[field]; }).join("; ");
    }, function () { return "HTTP " + response.status; });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; plain-http deployments still have getRandomValues.
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function say(message) {
    statusLine.textContent = message;
  }

  // Keeping the draft ---------------------------------------------------------------------------------------

  function keepLocally() {
    var copy = { scores: state.scores, verdict: state.verdict, checks: state.checks, comment: state.comment,
                 flags: state.flags, seconds: secondsSpent(), unsaved: unsaved };
    try { sessionStorage.setItem(storageKey, JSON.stringify(copy)); } catch (error) { /* storage full or disabled */ }
  }

  function changed() {
    unsaved = true;
    version += 1;
    submitKey = null;  // the content changed: the next submit is a new attempt
    keepLocally();
    render();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, SAVE_DELAY_MS);
  }

  function draftBody() {
    return { scores: state.scores, verdict: state.verdict, checks: state.checks, comment: state.comment,
             flags: state.flags, seconds_spent: secondsSpent() };
  }

  function saveDraft(keepalive) {
    clearTimeout(saveTimer);
    if (isFinal || submitting) return Promise.resolve();
    if (savingNow) return savingNow.then(function () { return unsaved ? saveDraft(keepalive) : null; });
    say(text.saving);
    keepLocally();
    var sentVersion = version;
    savingNow = send("PUT", urls.draftUrl, draftBody(), keepalive).then(function (response) {
      if (response.ok) {
        // Changes typed while the request was in flight still need a save.
        unsaved = version !== sentVersion;
        keepLocally();
        signedIn();
        say(text.saved.replace("{time}", new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })));
        if (unsaved) saveTimer = setTimeout(saveDraft, SAVE_DELAY_MS);
      } else if (isSignedOut(response)) {
        signedOut();
      } else {
        return errorDetail(response).then(say);
      }
    }, function () {
      say(text.offline);
      retryLater();
    }).then(function () { savingNow = null; });
    return savingNow;
  }

  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { if (unsaved) saveDraft(); }, RETRY_MS);
  }

  function signedOut() {
    expiredNotice.hidden = false;
    say(text.expired);
    retryLater();
  }

  function signedIn() {
    expiredNotice.hidden = true;
  }

  // Showing the state -----------------------------------------------------------------------------------------

  function render() {
    var onStop = stops[current] || {};
    axes.forEach(function (axis, index) {
      var score = scoreOf(axis);
      axis.element.classList.toggle("is-current", onStop.type === "axis" && index === onStop.index);
      axis.element.classList.toggle("is-scored", score !== undefined && score !== null);
      var tabbable = null;
      axis.buttons.forEach(function (button) {
        var pressed = parseInt(button.getAttribute("data-score"), 10) === score;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
        button.tabIndex = -1;
        if (pressed) tabbable = button;
      });
      // Roving tab stop: one button per axis, so Tab moves from axis to axis.
      (tabbable || axis.buttons[0]).tabIndex = 0;
    });
    if (verdictGroup) renderVerdict(onStop.type === "verdict");
    checkButtons.forEach(function (button) {
      var answer = answerOf(button);
      var name = answer === true ? "yes" : answer === false ? "no" : "unset";
      var point = button.closest("[data-check-point]");
      button.setAttribute("aria-checked", answer === true ? "true" : "false");
      button.setAttribute("data-state", name);
      button.querySelector("[data-check-state]").textContent = text["check" + name.charAt(0).toUpperCase() + name.slice(1)];
      // Roving tab stop: the current point's buttons (both sides of a pair, so Tab goes left to right), else
      // the first point's.
      button.tabIndex = onStop.element === point || (onStop.type !== "check" && point === checkPoints[0]) ? 0 : -1;
      button.classList.toggle("is-current", onStop.element === point && button === currentCheckButton());
    });
    checkPoints.forEach(function (point) { point.classList.toggle("is-current", onStop.element === point); });
    var labels = state.flags.map(function (flag) {
      var box = flagDialog.querySelector("input[value='" + flag + "']");
      return box ? box.getAttribute("data-flag-label") : flag;
    });
    flagList.textContent = labels.length ? labels.join(", ") : text.none;
    flagList.classList.toggle("has-flags", labels.length > 0);
  }

  function renderVerdict(isCurrent) {
    verdictGroup.classList.toggle("is-current", isCurrent);
    verdictGroup.classList.toggle("is-scored", Boolean(state.verdict));
    var tabbable = null;
    var chosen = picked();
    verdictButtons.forEach(function (button) {
      var at = chosen.indexOf(button.getAttribute("data-verdict"));
      button.setAttribute("aria-pressed", at !== -1 ? "true" : "false");
      var order = button.querySelector("[data-order]");
      if (order) order.textContent = at !== -1 && answersWanted > 1 ? " " + (at + 1) : "";
      button.tabIndex = -1;
      if (at !== -1 && !tabbable) tabbable = button;
    });
    (tabbable || verdictButtons[0]).tabIndex = 0;
    if (answerShown) {
      answerShown.textContent = chosen.length ? text.answerShown.replace("{answer}", chosen.map(function (value) {
        return labelOf(value);
      }).join(", ")).replace("{n}", chosen.length).replace("{k}", answersWanted) : "";
    }
  }

  function picked() {
    return state.verdict ? state.verdict.split(",") : [];
  }

  function labelOf(value) {
    var button = verdictButtons.filter(function (candidate) { return candidate.getAttribute("data-verdict") === value; })[0];
    return button && button.getAttribute("data-label") || value;  // an exam's label (①, ア); else the value
  }

  function focusStop(index) {
    current = Math.max(0, Math.min(stops.length - 1, index));
    var stop = stops[current];
    if (stop.type === "axis") axisIndex = stop.index;
    render();
    var target = stop.type === "check" ? currentCheckButton()
      : stop.element.querySelector("button[tabindex='0']");
    if (target && !target.disabled) target.focus();
    stop.element.scrollIntoView({ block: "nearest" });
  }

  function focusAxis(index) {
    focusStop(Math.max(0, Math.min(axes.length - 1, index)));  // the axes are the first stops
  }

  function stopOf(element) {
    for (var index = 0; index < stops.length; index++) {
      if (stops[index].element === element) return index;
    }
    return -1;
  }

  function firstUnscored() {
    for (var index = 0; index < axes.length; index++) {
      var score = scoreOf(axes[index]);
      if (score === undefined || score === null) return index;
    }
    return -1;
  }

  // Scoring ---------------------------------------------------------------------------------------------------

  function setScore(index, value) {
    if (isFinal) return;
    var axis = axes[index];
    if (value < axis.min || value > axis.max) return;
    scoresOf(axis)[axis.key] = value;
    axisIndex = index;
    changed();
  }

  function advance() {
    if (axisIndex < axes.length - 1) {
      focusAxis(axisIndex + 1);
      return;
    }
    var allScored = firstUnscored() === -1;
    if (allScored) say(text.allScored);
    // After the last axis, on to the checklist if there is one.
    if (allScored && checkButtons.length) focusStop(firstCheckStop);
    else focusAxis(axisIndex);
  }

  function typeDigit(digit) {
    var axis = axes[axisIndex];
    clearTimeout(digitBuffer && digitBuffer.timer);
    if (digitBuffer && digitBuffer.axis === axisIndex && digitBuffer.first * 10 + digit <= axis.max) {
      setScore(axisIndex, digitBuffer.first * 10 + digit);
      digitBuffer = null;
      advance();
      return;
    }
    digitBuffer = null;
    if (digit < axis.min || digit > axis.max) return;
    setScore(axisIndex, digit);
    if (digit * 10 <= axis.max && digit > 0) {
      // "1" on a 0–10 axis may be the start of "10": wait a moment before moving on.
      digitBuffer = { axis: axisIndex, first: digit, timer: setTimeout(function () { digitBuffer = null; advance(); }, TWO_DIGIT_WAIT_MS) };
    } else {
      advance();
    }
  }

  function nudge(step) {
    var axis = axes[axisIndex];
    var score = scoreOf(axis);
    var start = score === undefined || score === null ? (step > 0 ? axis.min - 1 : axis.max + 1) : score;
    setScore(axisIndex, Math.max(axis.min, Math.min(axis.max, start + step)));
    focusAxis(axisIndex);
  }

  function clearScore() {
    if (isFinal) return;
    delete scoresOf(axes[axisIndex])[axes[axisIndex].key];
    changed();
    focusAxis(axisIndex);
  }

  // Pairwise verdicts: digit n picks the n-th choice (1 left, 2 right, then tie / both / neither) ----------

  function chooseVerdict(value) {
    if (isFinal) return;
    if (answersWanted > 1) {
      var chosen = picked();
      var at = chosen.indexOf(value);
      if (at !== -1) chosen.splice(at, 1);
      else if (chosen.length >= answersWanted) chosen = [value];
      else chosen.push(value);
      state.verdict = chosen.join(",");
    } else {
      state.verdict = value;
    }
    changed();
    say(picked().length < answersWanted ? text.moreAnswers.replace("{left}", answersWanted - picked().length)
      : verdictGroup.getAttribute("data-chosen") || text.verdictChosen);
  }

  function pickVerdict(digit) {
    var button = verdictButtons[(digit === 0 ? 10 : digit) - 1];  // 0: the tenth choice of an exam question
    if (!button) return;
    chooseVerdict(button.getAttribute("data-verdict"));
    if (stops[current].type !== "check") focusStop(current);
  }

  // An exam choice typed by its label or number: read as annotation.exam_answers reads a model's (its label's
  // token first: ① is 1, ｱ and あ are ア, A is a; then its number), several separated by commas or spaces: the whole
  // answer, which replaces the one picked.

  function typedToken(text) {
    var normal = text.normalize("NFKC").trim().toLowerCase();
    return normal.replace(/[\u3041-\u3096]/g, function (kana) {  // hiragana, as Japanese input first gives it
      return String.fromCharCode(kana.charCodeAt(0) + 0x60);
    });
  }

  function typedChoice(part) {
    var token = typedToken(part);
    var byLabel = verdictButtons.filter(function (button) {
      return typedToken(button.getAttribute("data-token")) === token;
    })[0];
    if (byLabel) return byLabel;
    return /^[0-9]+$/.test(token) ? verdictButtons[parseInt(token, 10) - 1] || null : null;
  }

  function pickTyped() {
    var parts = typedAnswer.value.split(/[\s,、，・]+/).filter(Boolean);
    if (!parts.length) return false;
    var buttons = parts.map(typedChoice);
    var missing = parts.filter(function (part, index) { return !buttons[index]; });
    if (missing.length) {
      say(verdictGroup.getAttribute("data-no-such-choice").replace("{typed}", missing[0])
        .replace("{labels}", verdictButtons.map(function (button) { return button.getAttribute("data-label"); }).join(" "))
        .replace("{count}", verdictButtons.length));
      return true;
    }
    var problem = typedProblem(buttons);
    if (problem) {
      say(problem);
      return true;
    }
    answerWith(buttons.map(function (button) { return button.getAttribute("data-verdict"); }));
    typedAnswer.value = "";
    return true;
  }

  // What is typed is the whole answer, not keys pressed one after another (which take a picked choice back, and
  // start again on a full answer): each choice once, as many as the question asks for. The reason in words, or null.
  function typedProblem(buttons) {
    var twice = buttons.filter(function (button, index) { return buttons.indexOf(button) !== index; })[0];
    if (twice) {
      return verdictGroup.getAttribute("data-typed-twice").replace("{label}", twice.getAttribute("data-label"));
    }
    if (buttons.length !== answersWanted) {
      return verdictGroup.getAttribute("data-typed-count").replace("{typed}", buttons.length);
    }
    return null;
  }

  function answerWith(values) {
    if (isFinal) return;
    state.verdict = values.join(",");
    changed();
    say(verdictGroup.getAttribute("data-chosen") || text.verdictChosen);
  }

  function stepVerdict(step) {
    if (answersWanted > 1) return;  // several choices: digits or clicks, in order
    var values = verdictButtons.map(function (button) { return button.getAttribute("data-verdict"); });
    var at = values.indexOf(state.verdict);
    var next = at === -1 ? (step > 0 ? 0 : values.length - 1) : Math.max(0, Math.min(values.length - 1, at + step));
    chooseVerdict(values[next]);
    focusStop(current);
  }

  function clearVerdict() {
    if (isFinal) return;
    state.verdict = picked().slice(0, -1).join(",");  // the last choice picked (a verdict: the verdict)
    changed();
    focusStop(current);
  }

  // The checklist: each answer unanswered, yes or no; Space (or a click) answers yes, then no, then yes ------
  // A likert point's answer is state.checks[id] (true / false); a pair's is state.checks[id][side], side "left"
  // or "right", and a point with no side answered has no entry.

  function answerOf(button) {
    var answer = state.checks[button.getAttribute("data-check")];
    var side = button.getAttribute("data-check-side");
    if (!side) return answer;
    return answer !== null && typeof answer === "object" ? answer[side] : undefined;
  }

  function setAnswer(button, value) {
    var id = button.getAttribute("data-check");
    var side = button.getAttribute("data-check-side");
    var answer = value;
    if (side) {
      var earlier = state.checks[id];
      answer = Object.assign({}, earlier !== null && typeof earlier === "object" ? earlier : {});
      if (value === undefined) delete answer[side];
      else answer[side] = value;
      if (!Object.keys(answer).length) answer = undefined;
    }
    if (answer === undefined) delete state.checks[id];
    else state.checks[id] = answer;
  }

  function currentCheckButton() {
    var stop = stops[current];
    if (!stop || stop.type !== "check") return null;
    return stop.buttons[Math.min(checkSide, stop.buttons.length - 1)];
  }

  function answerCheck(button) {
    if (isFinal) return;
    setAnswer(button, answerOf(button) !== true);
    changed();
  }

  function clearCheck(button) {
    if (isFinal) return;
    setAnswer(button, undefined);
    changed();
    focusStop(current);
  }

  function pickSide(step) {
    checkSide = step > 0 ? 1 : 0;
    focusStop(current);
  }

  function toggleChecklist() {
    if (!checkPoints.length) return;
    if (stops[current].type === "check") {
      focusStop(verdictGroup ? 0 : axisIndex);
      return;
    }
    // To the first answer still open: its point, and on a pair its side.
    var unanswered = checkButtons.filter(function (button) { return answerOf(button) === undefined; })[0];
    if (!unanswered) {
      checkSide = 0;
      focusStop(firstCheckStop);
      return;
    }
    var stop = stopOf(unanswered.closest("[data-check-point]"));
    checkSide = stops[stop].buttons.indexOf(unanswered);
    focusStop(stop);
  }

  // What the arrows and Backspace do depends on the stop the keyboard is on.

  function sideways(step) {
    var stop = stops[current];
    if (stop.type === "axis") nudge(step);
    else if (stop.type === "verdict") stepVerdict(step);
    else if (stop.buttons.length > 1) pickSide(step);
  }

  function clearHere() {
    var stop = stops[current];
    if (stop.type === "axis") clearScore();
    else if (stop.type === "verdict") clearVerdict();
    else clearCheck(currentCheckButton());
  }

  // Submitting, skipping, moving on ------------------------------------------------------------------------

  function submit() {
    if (rated) {
      goToNextItem();  // the rating is stored but the next item did not come: Enter asks again
      return;
    }
    if (isFinal || submitting) return;  // a second Enter while the first is in flight does nothing
    var missing = firstUnscored();
    if (missing !== -1) {
      say(text.missing.replace("{axis}", axes[missing].label));
      focusAxis(missing);
      return;
    }
    if (verdictGroup && picked().length < answersWanted) {
      say(verdictGroup.getAttribute("data-missing") || text.missingVerdict);
      focusStop(0);
      return;
    }
    if (!submitKey) submitKey = newKey();  // kept until the content changes, so a retry repeats it
    submitting = true;
    clearTimeout(saveTimer);
    say(text.submitting);
    // Wait for a draft save in flight, so that it cannot land after the rating and revive a draft.
    var body = draftBody();
    body.idempotency_key = submitKey;
    Promise.resolve(savingNow).then(function () {
      return send("POST", urls.ratingUrl, body);
    }).then(function (response) {
      if (response.ok) return submitted();
      submitting = false;
      if (isSignedOut(response)) return signedOut();
      return errorDetail(response).then(say);
    }, function () {
      submitting = false;
      say(text.submitFailed);
    });
  }

  function submitted() {
    rated = true;
    unsaved = false;
    try { sessionStorage.removeItem(storageKey); } catch (error) { /* nothing kept */ }
    if (isRevision) {
      window.location.assign(urls.myRatingsUrl);
      return null;
    }
    if (urls.knownAnswerUrl) return showKnownAnswer();
    return goToNextItem();
  }

  // Training mode: after a check item, its known answer stays on screen until Enter (or Submit) moves on.
  function showKnownAnswer() {
    return send("GET", urls.knownAnswerUrl).then(function (response) {
      if (!response.ok) return goToNextItem();
      return response.json().then(function (answer) {
        var box = root.querySelector("[data-known-answer]");
        box.textContent = answer.message + (answer.explanation ? " " + answer.explanation : "");
        box.hidden = false;
        box.focus();
      });
    }, goToNextItem);
  }

  function goToNextItem() {
    return send("POST", urls.nextUrl).then(function (response) {
      if (response.status === 204) return showDone();
      if (response.ok) {
        return response.json().then(function (next) {
          window.location.assign(urls.itemUrl.replace("00000000-0000-0000-0000-000000000000", next.id));
        });
      }
      if (isSignedOut(response)) return signedOut();
      return errorDetail(response).then(say);
    }, function () {
      say(text.offline);
    });
  }

  function showDone() {
    root.querySelector(".rate-layout").hidden = true;
    var done = root.querySelector("[data-done]");
    done.hidden = false;
    done.focus();
  }

  function skip(reason, note) {
    clearTimeout(saveTimer);
    submitting = true;  // no draft saves after the skip
    say(text.skipping);
    Promise.resolve(savingNow).then(function () {
      return send("POST", urls.skipUrl, { reason: reason, note: note });
    }).then(function (response) {
      if (response.ok) return submitted();
      submitting = false;
      if (isSignedOut(response)) return signedOut();
      return errorDetail(response).then(say);
    }, function () {
      submitting = false;
      say(text.offline);
    });
  }

  // Dialogs ---------------------------------------------------------------------------------------------------

  function openSkip() {
    if (isFinal || isRevision) return;
    skipDialog.querySelector("form").reset();
    skipDialog.showModal();
    skipDialog.querySelector("input[name=reason]:checked").focus();
  }

  function openFlags() {
    if (isFinal) return;
    flagDialog.querySelectorAll("input[name=flag]").forEach(function (box) {
      box.checked = state.flags.indexOf(box.value) !== -1;
    });
    flagDialog.showModal();
    flagDialog.querySelector("input[name=flag]").focus();
  }

  function dialogKeys(dialog, onDigit) {
    dialog.addEventListener("keydown", function (event) {
      if (event.isComposing || event.target.tagName === "TEXTAREA") return;
      var digit = digitOf(event);
      if (digit !== null) {
        event.preventDefault();
        onDigit(digit);
      } else if (event.key === "Enter" && event.target.tagName !== "BUTTON") {
        // Enter on a radio or a checkbox does not submit a form by itself.
        event.preventDefault();
        dialog.querySelector("button[type=submit]").click();
      }
    });
  }

  dialogKeys(skipDialog, function (digit) {
    var radio = skipDialog.querySelectorAll("input[name=reason]")[digit - 1];
    if (radio) { radio.checked = true; radio.focus(); }
  });
  dialogKeys(flagDialog, function (digit) {
    var box = flagDialog.querySelectorAll("input[name=flag]")[digit - 1];
    if (box) { box.checked = !box.checked; box.focus(); }
  });

  skipDialog.addEventListener("close", function () {
    var chosen = skipDialog.querySelector("input[name=reason]:checked");
    if (skipDialog.returnValue === "skip" && chosen) {
      skip(chosen.value, skipDialog.querySelector("textarea[name=note]").value);
    } else {
      focusStop(current);
    }
  });

  // The flags are taken when the dialog's form is submitted, not on "close", which comes a task later: an Enter
  // pressed right after could otherwise submit the rating without them.
  flagDialog.querySelector("form").addEventListener("submit", function (event) {
    if (!event.submitter || event.submitter.value !== "ok") return;
    state.flags = Array.prototype.filter.call(flagDialog.querySelectorAll("input[name=flag]"), function (box) {
      return box.checked;
    }).map(function (box) { return box.value; });
    changed();
  });
  flagDialog.addEventListener("close", function () { focusStop(current); });

  [skipDialog, flagDialog].forEach(function (dialog) {
    // Esc closes a dialog with no returnValue; make sure an earlier value is not reused.
    dialog.addEventListener("cancel", function () { dialog.returnValue = "cancel"; });
  });

  // The keyboard ------------------------------------------------------------------------------------------

  var FULL_WIDTH_DIGITS = "０１２３４５６７８９";

  function digitOf(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return null;
    if (/^[0-9]$/.test(event.key)) return parseInt(event.key, 10);
    var wide = FULL_WIDTH_DIGITS.indexOf(event.key);  // a Japanese keyboard in full-width mode
    return wide === -1 ? null : wide;
  }

  function isTyping(target) {
    return Boolean(target.closest && target.closest("input, textarea, select, [contenteditable]"));
  }

  function toggleHelp() {
    var hidden = !helpPanel.hidden;
    helpPanel.hidden = hidden;
    helpToggle.setAttribute("aria-expanded", hidden ? "false" : "true");
    helpToggle.firstChild.textContent = (hidden ? text.show : text.hide) + " ";
  }

  // The texts as formatted Markdown, or exactly as stored (R) ------------------------------------------------

  function showRaw(raw) {
    rawToggle.setAttribute("aria-pressed", raw ? "true" : "false");
    root.querySelectorAll("[data-raw-text]").forEach(function (element) { element.hidden = !raw; });
    root.querySelectorAll("[data-rendered-text]").forEach(function (element) { element.hidden = raw; });
    try { sessionStorage.setItem(RAW_KEY, raw ? "true" : "false"); } catch (error) { /* storage disabled */ }
  }

  function toggleRaw() {
    showRaw(rawToggle.getAttribute("aria-pressed") !== "true");
  }

  var KEYS = {
    ArrowDown: function () { focusStop(current + 1); },
    ArrowUp: function () { focusStop(current - 1); },
    ArrowRight: function () { sideways(1); },
    ArrowLeft: function () { sideways(-1); },
    Backspace: clearHere,
    Delete: clearHere,
    k: toggleChecklist,
    s: openSkip,
    f: openFlags,
    c: function () { comment.focus(); },
    l: function () { if (typedAnswer && !typedAnswer.disabled) typedAnswer.focus(); },
    r: toggleRaw,
    "?": toggleHelp
  };

  // The page's action for a key, by the character it types, a full-width one as its half-width self (Japanese
  // input in full-width mode types ｌ for l, as it types ３ for 3); for a key that Japanese input takes for itself
  // (keyCode 229: no character yet) only L, by its place on the keyboard, so that the label box is reached there.
  function keyAction(event) {
    if (event.isComposing || event.keyCode === 229) return event.code === "KeyL" ? KEYS.l : null;
    var key = event.key.normalize("NFKC");
    return KEYS[key] || KEYS[key.toLowerCase()] || null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented) return;
    if (skipDialog.open || flagDialog.open) return;  // the dialogs have their own keys
    if (event.isComposing || event.keyCode === 229) {
      // Japanese input at work: in a field the key is its own; on the page L still goes to the label box.
      if (!isTyping(event.target) && !(event.ctrlKey || event.metaKey || event.altKey)) run(keyAction(event), event);
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
      return;
    }
    if (isTyping(event.target)) {
      if (event.key === "Escape") {
        event.preventDefault();
        focusStop(current);
      }
      return;  // typing a comment never triggers a shortcut
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;  // leave the browser's shortcuts alone
    var digit = digitOf(event);
    if (digit !== null) {
      event.preventDefault();
      if (verdictGroup) pickVerdict(digit);
      else typeDigit(digit);
      return;
    }
    if (event.key === "Enter") {
      // Enter on a score, verdict or checklist button would press it; there, and on the page, it submits.
      var onButton = event.target.closest && event.target.closest("button, a");
      var answers = onButton && ["data-score", "data-verdict", "data-check", "data-submit"].some(function (name) {
        return onButton.hasAttribute(name);
      });
      if (onButton && !answers) return;
      event.preventDefault();
      submit();
      return;
    }
    run(keyAction(event), event);
  });

  function run(action, event) {
    if (!action) return;
    event.preventDefault();
    action();
  }

  // Pointer and form events ------------------------------------------------------------------------------

  axes.forEach(function (axis, index) {
    axis.buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        setScore(index, parseInt(button.getAttribute("data-score"), 10));
        focusAxis(index);
      });
    });
    axis.element.addEventListener("focusin", function () {
      if (current !== index) { current = index; axisIndex = index; render(); }
    });
  });
  verdictButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      chooseVerdict(button.getAttribute("data-verdict"));
      focusStop(stopOf(verdictGroup));
    });
  });
  checkButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var stop = stopOf(button.closest("[data-check-point]"));
      checkSide = stops[stop].buttons.indexOf(button);
      answerCheck(button);
      focusStop(stop);
    });
  });
  stops.forEach(function (stop, index) {
    if (stop.type === "axis") return;
    stop.element.addEventListener("focusin", function (event) {
      var side = stop.type === "check" ? stop.buttons.indexOf(event.target) : -1;
      if (current === index && (side === -1 || side === checkSide)) return;
      current = index;
      if (side !== -1) checkSide = side;  // Tab (or a click) onto the other response's tick
      render();
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  if (typedAnswer) {
    typedAnswer.addEventListener("keydown", function (event) {
      // Enter picks what was typed (an empty box: Enter submits, as on the page); Enter while Japanese input is
      // still converting is the input's own.
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
      if (event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      if (!pickTyped()) submit();
    });
  }
  comment.addEventListener("input", function () {
    state.comment = comment.value;
    changed();
  });
  root.querySelector("[data-open-skip]").addEventListener("click", openSkip);
  root.querySelector("[data-open-flags]").addEventListener("click", openFlags);
  helpToggle.addEventListener("click", toggleHelp);
  rawToggle.addEventListener("click", toggleRaw);

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      pauseClock();
      if (isFinal || submitting) return;
      keepLocally();
      if (unsaved) saveDraft(true);
    } else {
      visibleSince = Date.now();
      if (unsaved) saveDraft();  // back from signing in again in another tab, for instance
    }
  });
  window.addEventListener("pagehide", function () {
    if (isFinal || submitting) return;
    keepLocally();  // the time on the item survives a reload even when nothing else changed
    if (unsaved) saveDraft(true);
  });
  window.addEventListener("focus", function () {
    if (unsaved && !savingNow) saveDraft();
  });

  // Start: what this tab kept but the server may not have, else the server's draft, else my rating ---------

  function restore() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(storageKey) || "null"); } catch (error) { kept = null; }
    var draft = JSON.parse(document.getElementById("rate-draft").textContent);
    var rating = JSON.parse(document.getElementById("rate-rating").textContent);
    var source = (kept && kept.unsaved && kept) || draft || rating;
    if (source) {
      state.scores = JSON.parse(JSON.stringify(source.scores || {}));  // a deep copy: per turn, objects in it
      state.verdict = source.verdict || "";
      state.checks = Object.assign({}, source.checks || {});
      state.comment = source.comment || "";
      state.flags = (source.flags || []).slice();
    }
    state.seconds = Math.max((kept && kept.seconds) || 0, (draft && draft.seconds_spent) || 0);
    comment.value = state.comment;
    if (kept && kept.unsaved && !isFinal) {
      unsaved = true;
      saveDraft();
    }
  }

  restore();
  try { showRaw(sessionStorage.getItem(RAW_KEY) === "true"); } catch (error) { showRaw(false); }
  showTime();
  setInterval(showTime, 1000);
  if (axes.length) {
    var start = firstUnscored();
    focusAxis(start === -1 ? 0 : start);
  } else {
    focusStop(0);
  }
})();
