/* The language switch lands on the same section of the other language's page.
   The Japanese and English notebooks have the same cells in the same order, so the n-th section of
   one page is the n-th of the other: the link carries n ("#section-index-n"), and the page it opens
   turns n back into its own section id. */
(function () {
  "use strict";
  var PREFIX = "#section-index-";

  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll("article section[id]"));
  }

  /* The section the reader is in: the one the address points into, else the last one whose
     heading has scrolled past the top of the window. */
  function current() {
    var all = sections();
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target) {
      var own = target.closest("section[id]");
      if (own) { return all.indexOf(own); }
    }
    var found = 0;
    all.forEach(function (s, i) { if (s.getBoundingClientRect().top <= 80) { found = i; } });
    return found;
  }

  function land() {
    if (location.hash.indexOf(PREFIX) !== 0) { return; }
    var n = parseInt(location.hash.slice(PREFIX.length), 10);
    var target = sections()[n];
    if (!target) { return; }
    history.replaceState(null, "", "#" + target.id);
    target.scrollIntoView();
  }

  document.addEventListener("DOMContentLoaded", function () {
    land();
    var link = document.getElementById("lang-switch");
    if (!link) { return; }
    var base = link.getAttribute("href").split("#")[0];
    link.addEventListener("click", function () { link.setAttribute("href", base + PREFIX + current()); });
  });
})();
