// MathJax's configuration; MathJax itself is served by the site (assets/mathjax/, copied
// there by docs/hooks.py at build time). Only the spans pymdownx.arithmatex marks are typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex" },
};

// MathJax typesets the first page itself when it starts; a page that Material swaps in
// later (instant navigation) is typeset again once MathJax is ready.
document$.subscribe(() => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return;
  mj.startup.promise = mj.startup.promise.then(() => {
    mj.typesetClear();
    mj.texReset();
    return mj.typesetPromise();
  });
});
